/* SPDX-License-Identifier: MIT */
/* Which addresses the fetcher may connect to: internal ones (loopback, private, link-local,
 * unspecified, ...) are refused unless `allow_private` names them. Pure functions, no I/O. */
#ifndef FEEDSPOOL_ADDR_POLICY_H
#define FEEDSPOOL_ADDR_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Entries one allow_private value may hold. */
#define ADDR_POLICY_MAX 32
/* Room for "[ffff:...:ffff]:65535" and its NUL. */
#define ADDR_TEXT_MAX 56

/* One allowed range: IPv4 addresses are kept in their IPv4-mapped IPv6 form (::ffff:a.b.c.d),
 * so one comparison covers both families. */
struct addr_rule {
	uint8_t net[16];
	int prefix;    /* bits of net that must match, 0..128 */
	unsigned port; /* 0: any port */
};

struct addr_policy {
	int allow_all; /* allow_private = yes */
	size_t n;
	struct addr_rule rules[ADDR_POLICY_MAX];
};

/* Parses an allow_private value: yes/no (true/false, on/off, 1/0), or a list of ADDRESS[:PORT]
 * and ADDRESS/PREFIX[:PORT] entries separated by commas or blanks (IPv6 with a port in
 * brackets: [::1]:8080, [fd00::/8]:443). NULL means "no". 0, or -EINVAL with a message in err
 * that names the bad entry. */
int addr_policy_parse(struct addr_policy *p, const char *text, char *err, size_t n);

/* What kind of internal address sa is ("loopback", "private", "link-local", ...), or NULL for a
 * public one. IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4 forms are judged by
 * the IPv4 address they carry. */
const char *addr_internal_kind(const struct sockaddr *sa);

/* NULL when the policy lets the fetcher connect to sa, else the kind of address refused. */
const char *addr_policy_refuses(const struct addr_policy *p, const struct sockaddr *sa);

/* "127.0.0.1:6379" or "[::1]:80" into out (ADDR_TEXT_MAX bytes are always enough). */
void addr_format(const struct sockaddr *sa, char *out, size_t n);

/* Fills ss from a numeric address and port (as libcurl reports them): 0, or -EINVAL. */
int addr_from_text(const char *ip, int port, struct sockaddr_storage *ss);

#endif

/* SPDX-License-Identifier: MIT */
/* Which addresses the fetcher may connect to: the internal ranges and the allow_private rules. */
#include "autoconfig.h"

#include "addr_policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct range4 {
	uint32_t net;
	int bits;
	const char *kind;
};

struct range6 {
	uint8_t net[16];
	int bits;
	const char *kind;
};

/* Not on the internet (RFC 6890 and friends): a feed has no business connecting there. */
static const struct range4 internal4[] = {
    {0x00000000, 8, "unspecified"},	/* 0.0.0.0/8, "this network" */
    {0x0a000000, 8, "private"},		/* 10/8 */
    {0x64400000, 10, "shared (CGNAT)"}, /* 100.64/10 */
    {0x7f000000, 8, "loopback"},	/* 127/8 */
    {0xa9fe0000, 16, "link-local"},	/* 169.254/16, cloud metadata among them */
    {0xac100000, 12, "private"},	/* 172.16/12 */
    {0xc0000000, 24, "reserved"},	/* 192.0.0.0/24 */
    {0xc0a80000, 16, "private"},	/* 192.168/16 */
    {0xc6120000, 15, "reserved"},	/* 198.18/15, benchmarking */
    {0xe0000000, 4, "multicast"},	/* 224/4 */
    {0xf0000000, 4, "reserved"},	/* 240/4 and the broadcast address */
};

static const struct range6 internal6[] = {
    {{0xfc}, 7, "private"},	      /* fc00::/7, unique local */
    {{0xfe, 0x80}, 10, "link-local"}, /* fe80::/10 */
    {{0xfe, 0xc0}, 10, "private"},    /* fec0::/10, site-local (deprecated) */
    {{0xff}, 8, "multicast"},	      /* ff00::/8 */
};

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const uint8_t nat64_prefix[12] = {0, 0x64, 0xff, 0x9b};
static const uint8_t zero12[12];

static int prefix_match(const uint8_t *a, const uint8_t *net, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)whole) != 0)
		return 0;
	if (!rest)
		return 1;
	return ((a[whole] ^ net[whole]) & (0xff00 >> rest) & 0xff) == 0;
}

/* The address in its 16-byte form (IPv4 mapped) and its port; -1 for another family. */
static int to16(const struct sockaddr *sa, uint8_t out[16], unsigned *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(out, mapped_prefix, 12);
		memcpy(out + 12, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(out, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return 0;
	}
	return -1;
}

static const char *kind4(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	size_t i;

	for (i = 0; i < sizeof internal4 / sizeof internal4[0]; i++)
		if (((v ^ internal4[i].net) >> (32 - internal4[i].bits)) == 0)
			return internal4[i].kind;
	return NULL;
}

static const char *kind16(const uint8_t a[16])
{
	static const uint8_t sixtofour[2] = {0x20, 0x02};
	size_t i;

	if (!memcmp(a, mapped_prefix, 12) || !memcmp(a, nat64_prefix, 12))
		return kind4(a + 12);
	if (!memcmp(a, zero12, 12)) {
		/* ::, ::1, and the deprecated IPv4-compatible ::a.b.c.d */
		if (!memcmp(a + 12, "\0\0\0\0", 4))
			return "unspecified";
		if (!memcmp(a + 12, "\0\0\0\1", 4))
			return "loopback";
		return "reserved";
	}
	if (!memcmp(a, sixtofour, 2)) /* 2002:a.b.c.d::/48 */
		return kind4(a + 2);
	for (i = 0; i < sizeof internal6 / sizeof internal6[0]; i++)
		if (prefix_match(a, internal6[i].net, internal6[i].bits))
			return internal6[i].kind;
	return NULL;
}

const char *addr_internal_kind(const struct sockaddr *sa)
{
	uint8_t a[16];
	unsigned port;

	if (to16(sa, a, &port) < 0)
		return "non-IP";
	return kind16(a);
}

const char *addr_policy_refuses(const struct addr_policy *p, const struct sockaddr *sa)
{
	uint8_t a[16];
	unsigned port;
	const char *kind;
	size_t i;

	if (to16(sa, a, &port) < 0)
		return "non-IP";
	if (!(kind = kind16(a)) || p->allow_all)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (prefix_match(a, p->rules[i].net, p->rules[i].prefix) &&
		    (!p->rules[i].port || p->rules[i].port == port))
			return NULL;
	return kind;
}

void addr_format(const struct sockaddr *sa, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	uint8_t a[16];
	unsigned port;

	if (to16(sa, a, &port) < 0) {
		snprintf(out, n, "(family %d)", sa->sa_family);
		return;
	}
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, a + 12, ip, sizeof ip);
		snprintf(out, n, "%s:%u", ip, port);
	} else {
		inet_ntop(AF_INET6, a, ip, sizeof ip);
		snprintf(out, n, "[%s]:%u", ip, port);
	}
}

int addr_from_text(const char *ip, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (port < 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -EINVAL;
}

/* ---- parsing allow_private ----------------------------------------------------------------- */

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (unsigned)v;
	return 0;
}

/* "ADDRESS" or "ADDRESS/PREFIX" into r (its net and prefix). */
static int parse_net(char *s, struct addr_rule *r)
{
	char *slash = strchr(s, '/'), *end;
	struct in_addr a4;
	long bits = -1;
	int v4;

	if (slash) {
		*slash = '\0';
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		bits = strtol(slash + 1, &end, 10);
		if (*end)
			return -EINVAL;
	}
	v4 = inet_pton(AF_INET, s, &a4) == 1;
	if (v4) {
		if (bits > 32)
			return -EINVAL;
		memcpy(r->net, mapped_prefix, 12);
		memcpy(r->net + 12, &a4, 4);
		r->prefix = 96 + (int)(bits < 0 ? 32 : bits);
		return 0;
	}
	if (inet_pton(AF_INET6, s, r->net) != 1 || bits > 128)
		return -EINVAL;
	r->prefix = (int)(bits < 0 ? 128 : bits);
	return 0;
}

/* One entry: [V6[/P]]:PORT, V6[/P], V4[/P][:PORT]. */
static int parse_entry(char *s, struct addr_rule *r)
{
	char *colon, *close;

	r->port = 0;
	if (*s == '[') {
		if (!(close = strchr(s, ']')))
			return -EINVAL;
		*close = '\0';
		if (close[1] && (close[1] != ':' || parse_port(close + 2, &r->port) < 0))
			return -EINVAL;
		return parse_net(s + 1, r);
	}
	colon = strchr(s, ':');
	if (colon && !strchr(colon + 1, ':')) { /* one colon: IPv4 with a port */
		*colon = '\0';
		if (parse_port(colon + 1, &r->port) < 0)
			return -EINVAL;
	}
	return parse_net(s, r);
}

static int parse_word(const char *t, int *yes)
{
	static const char *const truth[] = {"yes", "true", "on", "1"};
	static const char *const lie[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(t, truth[i])) {
			*yes = 1;
			return 0;
		}
		if (!strcasecmp(t, lie[i])) {
			*yes = 0;
			return 0;
		}
	}
	return -1;
}

int addr_policy_parse(struct addr_policy *p, const char *text, char *err, size_t n)
{
	char *copy, *tok, *save = NULL;
	int yes, rc = 0;

	memset(p, 0, sizeof *p);
	if (!text || parse_word(text, &p->allow_all) == 0)
		return 0;
	if (!(copy = strdup(text))) {
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char entry[128];

		snprintf(entry, sizeof entry, "%s", tok);
		if (parse_word(tok, &yes) == 0) {
			snprintf(err, n, "\"%s\": yes or no stands alone, not in a list", entry);
			rc = -EINVAL;
			break;
		}
		if (p->n == ADDR_POLICY_MAX) {
			snprintf(err, n, "more than %d entries", ADDR_POLICY_MAX);
			rc = -EINVAL;
			break;
		}
		if (parse_entry(tok, &p->rules[p->n]) < 0) {
			snprintf(
			    err, n,
			    "\"%s\" is not an address (use yes, no, or ADDRESS[:PORT] and "
			    "ADDRESS/PREFIX entries such as 127.0.0.1:8080, 10.0.0.0/8, [::1]:80)",
			    entry);
			rc = -EINVAL;
			break;
		}
		p->n++;
	}
	if (!rc && !p->n) {
		snprintf(err, n, "empty (use yes, no, or a list of addresses)");
		rc = -EINVAL;
	}
	free(copy);
	return rc;
}

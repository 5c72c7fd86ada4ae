/* SPDX-License-Identifier: MIT */
/* The fetcher's address policy (src/fetch/addr_policy.c): internal ranges, allow_private rules
 * with IPv4, IPv6, CIDR and port entries, and the messages for bad entries. */
#include "autoconfig.h"

#include <string.h>

#include "addr_policy.h"
#include "check.h"

static struct sockaddr_storage at(const char *ip, int port)
{
	struct sockaddr_storage ss;

	CHECK(addr_from_text(ip, port, &ss) == 0, "addr_from_text(%s)", ip);
	return ss;
}

/* want: the kind refused, or NULL when the connection is allowed. */
static void judge(const char *policy, const char *ip, int port, const char *want)
{
	struct addr_policy p;
	struct sockaddr_storage ss = at(ip, port);
	char err[256] = "";

	CHECK(addr_policy_parse(&p, policy, err, sizeof err) == 0, "parse \"%s\": %s",
	      policy ? policy : "NULL", err);
	CHECK_STR(addr_policy_refuses(&p, (struct sockaddr *)&ss), want,
		  "allow_private = %s, connection to %s port %d", policy ? policy : "(unset)", ip,
		  port);
}

static void bad(const char *policy, const char *want)
{
	struct addr_policy p;
	char err[256] = "";

	CHECK(addr_policy_parse(&p, policy, err, sizeof err) == -22, "\"%s\" refused", policy);
	CHECK(strstr(err, want) != NULL, "\"%s\": message \"%s\" has \"%s\"", policy, err, want);
}

static void format(const char *ip, int port, const char *want)
{
	struct sockaddr_storage ss = at(ip, port);
	char out[ADDR_TEXT_MAX];

	addr_format((struct sockaddr *)&ss, out, sizeof out);
	CHECK_STR(out, want, "addr_format(%s, %d)", ip, port);
}

int main(void)
{
	/* the default refuses every internal range, IPv4 and IPv6, and their embedded forms */
	judge(NULL, "127.0.0.1", 6379, "loopback");
	judge("no", "127.3.4.5", 80, "loopback");
	judge(NULL, "::1", 80, "loopback");
	judge(NULL, "::ffff:127.0.0.1", 80, "loopback");
	judge(NULL, "::ffff:10.1.2.3", 80, "private");
	judge(NULL, "64:ff9b::a9fe:a9fe", 80, "link-local");
	judge(NULL, "2002:c0a8:0101::1", 80, "private");
	judge(NULL, "10.0.0.1", 80, "private");
	judge(NULL, "172.16.0.1", 80, "private");
	judge(NULL, "172.31.255.255", 80, "private");
	judge(NULL, "192.168.1.1", 80, "private");
	judge(NULL, "169.254.169.254", 80, "link-local");
	judge(NULL, "100.64.0.1", 80, "shared (CGNAT)");
	judge(NULL, "0.0.0.0", 80, "unspecified");
	judge(NULL, "::", 80, "unspecified");
	judge(NULL, "fc00::1", 80, "private");
	judge(NULL, "fdff:ffff::1", 80, "private");
	judge(NULL, "fe80::1", 80, "link-local");
	judge(NULL, "febf::1", 80, "link-local");
	judge(NULL, "224.0.0.1", 80, "multicast");
	judge(NULL, "255.255.255.255", 80, "reserved");
	/* the edges of the ranges, and public addresses */
	judge(NULL, "172.32.0.1", 80, NULL);
	judge(NULL, "172.15.255.255", 80, NULL);
	judge(NULL, "11.0.0.1", 80, NULL);
	judge(NULL, "169.255.0.1", 80, NULL);
	judge(NULL, "100.128.0.1", 80, NULL);
	judge(NULL, "93.184.216.34", 443, NULL);
	judge(NULL, "::ffff:93.184.216.34", 443, NULL);
	judge(NULL, "2606:2800:220:1::1", 443, NULL);
	judge(NULL, "fec0::1", 80, "private");
	/* yes allows all; the list forms */
	judge("yes", "127.0.0.1", 6379, NULL);
	judge("on", "fe80::1", 80, NULL);
	judge("127.0.0.1", "127.0.0.1", 6379, NULL);
	judge("127.0.0.1", "::ffff:127.0.0.1", 6379, NULL);
	judge("127.0.0.1", "127.0.0.2", 80, "loopback");
	judge("127.0.0.1:8080", "127.0.0.1", 8080, NULL);
	judge("127.0.0.1:8080", "127.0.0.1", 8081, "loopback");
	judge("10.0.0.0/8", "10.200.3.4", 80, NULL);
	judge("10.0.0.0/8", "11.0.0.1", 80, NULL);
	judge("10.0.0.0/8", "192.168.0.1", 80, "private");
	judge("10.0.0.0/8:443", "10.1.1.1", 443, NULL);
	judge("10.0.0.0/8:443", "10.1.1.1", 80, "private");
	judge("172.16.0.0/13", "172.23.255.255", 80, NULL);
	judge("172.16.0.0/13", "172.24.0.0", 80, "private");
	judge("::1", "::1", 80, NULL);
	judge("::1", "127.0.0.1", 80, "loopback");
	judge("[::1]:8080", "::1", 8080, NULL);
	judge("[::1]:8080", "::1", 8081, "loopback");
	judge("fd00::/8", "fd12::5", 80, NULL);
	judge("fd00::/8", "fc12::5", 80, "private");
	judge("[fe80::/10]:443", "fe80::99", 443, NULL);
	judge("[fe80::/10]:443", "fe80::99", 80, "link-local");
	judge("127.0.0.1, 10.0.0.0/8 ::1", "::1", 1, NULL);
	judge("127.0.0.1, 10.0.0.0/8 ::1", "10.9.9.9", 1, NULL);
	judge("127.0.0.1, 10.0.0.0/8 ::1", "192.168.9.9", 1, "private");
	judge("0.0.0.0/0", "192.168.9.9", 1, NULL);
	/* bad entries name themselves */
	bad("127.0.0.1:0", "\"127.0.0.1:0\" is not an address");
	bad("127.0.0.1:65536", "\"127.0.0.1:65536\"");
	bad("10.0.0.0/33", "\"10.0.0.0/33\"");
	bad("::1/129", "\"::1/129\"");
	bad("localhost", "\"localhost\" is not an address");
	bad("127.0.0.1, yes", "yes or no stands alone");
	bad("[::1", "\"[::1\"");
	bad("[::1]8080", "\"[::1]8080\"");
	bad("1.2.3.4/", "\"1.2.3.4/\"");
	bad(" , ", "empty");
	format("127.0.0.1", 6379, "127.0.0.1:6379");
	format("::1", 80, "[::1]:80");
	return check_exit();
}

/* SPDX-License-Identifier: MIT */
/* date.c's own day arithmetic (days_from_civil) against libcurl's curl_getdate(), which read
 * RFC 822 dates before: the same instant for every day of the years curl can do. */
#include "autoconfig.h"
#include "date.h"
#include "check.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* One RFC 822 date read by both; returns whether they agree. */
static bool agree(int y, int m, int d, int sec)
{
	char s[96];
	int64_t ours = 0;
	time_t theirs;

	snprintf(s, sizeof(s), "%02d %s %04d %02d:%02d:%02d GMT", d, mon[m - 1], y, sec / 3600,
		 sec / 60 % 60, sec % 60);
	theirs = curl_getdate(s, NULL);
	if (date_parse(s, &ours) == 0 && (int64_t)theirs == ours)
		return true;
	CHECK(0, "\"%s\": date_parse %" PRId64 ", curl_getdate %" PRId64, s, ours,
	      (int64_t)theirs);
	return false;
}

/* Every day of 1583 (curl's first year) to 2600 and of every seventh year and the last
 * century after it, and the ends of February and of the year of every year up to 9999. */
static void check_days(void)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long days = 0;
	int bad = 0;

	for (int y = 1583; y <= 9999 && bad < 5; y++) {
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		bool all = y <= 2600 || y % 7 == 0 || y >= 9900;

		for (int m = 1; m <= 12; m++) {
			int last = mdays[m - 1] + (m == 2 && leap);

			for (int d = 1; d <= last; d++) {
				bool edge = (m == 1 && d == 1) || (m == 2 && d >= 28) ||
					    (m == 3 && d == 1) || (m == 12 && d == 31);

				if (!all && !edge)
					continue;
				days++;
				bad += !agree(y, m, d, (int)((days * 7919) % 86400));
			}
		}
	}
	CHECK(bad == 0 && days > 700000, "%d of %ld days disagree", bad, days);
}

int main(void)
{
	check_days();
	return check_exit();
}

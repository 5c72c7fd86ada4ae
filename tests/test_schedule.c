/* SPDX-License-Identifier: MIT */
/* When feeds are due (src/daemon/schedule.c). */
#include "autoconfig.h"

#include <string.h>

#include "check.h"
#include "schedule.h"

static struct schedule_input base(void)
{
	struct schedule_input in;

	memset(&in, 0, sizeof in);
	in.now = 1700000000; /* 2023-11-14T22:13:20Z, a Tuesday */
	in.interval = 1800;
	in.min_interval = 300;
	in.max_backoff = 86400;
	return in;
}

int main(void)
{
	struct schedule_input in = base();
	char why[64];
	int64_t t;

	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 1800, "plain interval: +1800, got %+lld", (long long)(t - in.now));
	CHECK_STR(why, "interval 30 min", "reason for the plain interval");

	in.jitter = 300;
	in.random = 1234567;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t >= in.now + 1800 && t < in.now + 2100, "jitter stays below 300 s (%+lld)",
	      (long long)(t - in.now));
	in.jitter = 0;

	in.ttl_minutes = 120;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 7200 && !strcmp(why, "ttl 120 min"), "ttl 120 min wins (%s)", why);
	in.ttl_minutes = 5;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 1800, "a ttl shorter than the interval never polls faster");
	in.ttl_minutes = 0;

	in.sy_period = "daily";
	in.sy_frequency = 4;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 21600, "sy daily/4 = 6 h (%+lld, %s)", (long long)(t - in.now), why);
	in.sy_period = NULL;

	in.cache_control = "public, max-age=7200";
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 7200, "Cache-Control max-age (%s)", why);
	CHECK(schedule_max_age("no-cache") == 0 && schedule_max_age("private") == -1 &&
		      schedule_max_age("s-maxage=5, max-age = 60") == 60,
	      "max-age parsing");
	in.cache_control = NULL;

	in.expires = in.now + 10000;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 10000 && !strcmp(why, "Expires"), "Expires (%s)", why);
	in.expires = 0;

	in.ttl_minutes = 60 * 24 * 365;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 86400, "an absurd ttl is capped at max_backoff (%+lld)",
	      (long long)(t - in.now));
	in.ttl_minutes = 0;

	in.failures = 1;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 1800 && !strcmp(why, "backoff: 1 failure"), "1 failure: interval (%s)",
	      why);
	in.failures = 4;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 14400, "4 failures: 8 x interval (%+lld)", (long long)(t - in.now));
	in.failures = 60;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 86400, "many failures: capped, never given up (%+lld)",
	      (long long)(t - in.now));
	in.failures = 0;

	in.retry_after = in.now + 50000;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 50000 && !strcmp(why, "Retry-After"), "Retry-After wins (%s)", why);
	in.retry_after = 0;

	in.interval = 10;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 300, "min_interval is a floor (%+lld)", (long long)(t - in.now));
	in.interval = 1800;

	/* due 22:43 on a Tuesday; skipping hours 22 and 23 moves it to Wednesday 00:00 */
	in.skip_hours = (1u << 22) | (1u << 23);
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == 1700006400 && !strcmp(why, "skipHours/skipDays"),
	      "skipHours moves to the next allowed hour (%lld, %s)", (long long)t, why);
	in.skip_days = 1u << 3; /* and Wednesday */
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == 1700006400 + 86400, "skipDays too: Thursday 00:00 (%lld)", (long long)t);
	in.skip_hours = 0xFFFFFF;
	t = schedule_next(&in, why, sizeof why);
	CHECK(t == in.now + 1800, "every hour skipped is nonsense and ignored");
	return check_exit();
}

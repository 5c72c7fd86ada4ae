/* SPDX-License-Identifier: MIT */
/* When each feed is due. The publisher's hints only ever make polling less frequent (up to the
 * backoff cap), never more frequent than the configured interval or minimum. */
#include "autoconfig.h"

#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int64_t schedule_max_age(const char *cc)
{
	const char *p;

	if (!cc)
		return -1;
	for (p = cc; *p; p++) {
		if (!strncasecmp(p, "no-cache", 8) || !strncasecmp(p, "no-store", 8))
			return 0;
		if (!strncasecmp(p, "max-age", 7) && (p == cc || p[-1] == ' ' || p[-1] == ',')) {
			const char *v = p + 7;
			char *end;
			long long n;

			while (*v == ' ')
				v++;
			if (*v++ != '=')
				continue;
			while (*v == ' ' || *v == '"')
				v++;
			n = strtoll(v, &end, 10);
			if (end != v && n >= 0)
				return n > 365LL * 86400 ? 365LL * 86400 : n;
		}
	}
	return -1;
}

static int64_t sy_seconds(const char *period, int frequency)
{
	static const struct {
		const char *name;
		int64_t secs;
	} periods[] = {{"hourly", 3600},       {"daily", 86400},       {"weekly", 7 * 86400},
		       {"monthly", 30 * 86400}, {"yearly", 365 * 86400}};
	size_t i;

	if (!period)
		return 0;
	if (frequency <= 0)
		frequency = 1;
	for (i = 0; i < sizeof periods / sizeof *periods; i++)
		if (!strcasecmp(period, periods[i].name))
			return periods[i].secs / frequency;
	return 0;
}

/* Moves t out of skipped hours and days (UTC), one hour at a time, at most a week. */
static int64_t skip_forward(int64_t t, uint32_t hours, uint8_t days)
{
	int i;

	if (!hours && !days)
		return t;
	if ((hours & 0xFFFFFFu) == 0xFFFFFFu || (days & 0x7F) == 0x7F)
		return t; /* everything skipped: the hint is nonsense, ignore it */
	for (i = 0; i < 24 * 8; i++) {
		int64_t day = (t / 86400 + 4) % 7; /* 1970-01-01 was a Thursday */
		int hour = (int)((t % 86400) / 3600);

		if (!(hours & (1u << hour)) && !(days & (1u << day)))
			return t;
		t = (t / 3600 + 1) * 3600;
	}
	return t;
}

int64_t schedule_next(const struct schedule_input *in, char *reason, size_t reason_size)
{
	int64_t delay = in->interval > 0 ? in->interval : 1800, hint, t;
	int64_t cap = in->max_backoff > 0 ? in->max_backoff : 86400;
	int min = in->min_interval > 0 ? in->min_interval : 0;

	snprintf(reason, reason_size, "interval %lld min", (long long)delay / 60);
	if (in->failures > 0) {
		int shift = in->failures - 1 > 20 ? 20 : in->failures - 1;

		delay <<= shift;
		if (delay > cap)
			delay = cap;
		snprintf(reason, reason_size, "backoff: %d failure%s", in->failures,
			 in->failures == 1 ? "" : "s");
	} else {
		if (in->ttl_minutes > 0 && (hint = (int64_t)in->ttl_minutes * 60) > delay) {
			delay = hint;
			snprintf(reason, reason_size, "ttl %d min", in->ttl_minutes);
		}
		if ((hint = sy_seconds(in->sy_period, in->sy_frequency)) > delay) {
			delay = hint;
			snprintf(reason, reason_size, "sy:updatePeriod %s", in->sy_period);
		}
		if ((hint = schedule_max_age(in->cache_control)) > delay) {
			delay = hint;
			snprintf(reason, reason_size, "Cache-Control max-age %lld s", (long long)hint);
		}
		if (in->expires > 0 && (hint = in->expires - in->now) > delay) {
			delay = hint;
			snprintf(reason, reason_size, "Expires");
		}
		/* a hint never stretches polling beyond the backoff cap */
		if (delay > cap && cap >= in->interval)
			delay = cap;
	}
	if (delay < min)
		delay = min;
	if (in->jitter > 0)
		delay += (int64_t)(in->random % (uint64_t)in->jitter);
	t = in->now + delay;
	if (in->retry_after > t) {
		t = in->retry_after;
		snprintf(reason, reason_size, "Retry-After");
	}
	if (in->failures == 0) {
		int64_t s = skip_forward(t, in->skip_hours, in->skip_days);

		if (s != t) {
			t = s;
			snprintf(reason, reason_size, "skipHours/skipDays");
		}
	}
	return t;
}

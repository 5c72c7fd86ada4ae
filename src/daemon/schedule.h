/* SPDX-License-Identifier: MIT */
/* When each feed is due: its interval and jitter, the publisher's hints (ttl, skipHours and
 * skipDays, sy:updatePeriod/Frequency, Cache-Control max-age, Expires), Retry-After, and an
 * exponential backoff on failure. Pure functions: the daemon keeps the clock and the timers. */
#ifndef FEEDSPOOL_SCHEDULE_H
#define FEEDSPOOL_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct schedule_input {
	int64_t now;
	int interval, jitter, min_interval, max_backoff; /* seconds, from the feed's settings */
	int failures;                /* consecutive failures including this fetch's, 0 on success */
	int ttl_minutes;             /* <ttl>, 0 when absent */
	const char *sy_period;       /* sy:updatePeriod ("hourly", "daily"...), NULL when absent */
	int sy_frequency;            /* sy:updateFrequency, 0 when absent */
	uint32_t skip_hours;         /* bit h: skip hour h (UTC) */
	uint8_t skip_days;           /* bit d: skip day d (0 = Sunday, UTC) */
	const char *cache_control;   /* response header, NULL when absent */
	int64_t expires;             /* absolute, 0 when absent */
	int64_t retry_after;         /* absolute, 0 when absent */
	uint64_t random;             /* a random number for the jitter */
};

/* The next due time (absolute seconds) and, in reason (size >= 64), why: "interval 30 min",
 * "ttl 60 min", "Cache-Control max-age 3600 s", "backoff: 3 failures", "Retry-After", ... */
int64_t schedule_next(const struct schedule_input *in, char *reason, size_t reason_size);

/* Seconds in max-age of a Cache-Control value, -1 when absent (no-cache/no-store: 0). */
int64_t schedule_max_age(const char *cache_control);

#endif

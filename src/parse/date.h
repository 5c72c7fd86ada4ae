/* SPDX-License-Identifier: MIT */
/* Feed dates: RFC 822 and its real-world variants, RFC 3339 / ISO 8601 / W3CDTF -> UTC. */
#ifndef FEEDSPOOL_DATE_H
#define FEEDSPOOL_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Room for "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define DATE_BUFSZ 21

/* Parses a date as feeds write it. On success stores seconds since the epoch (UTC) in *out and
 * returns 0; returns -EINVAL when s is not a valid date (impossible fields such as hour 25 or
 * 31 February are rejected, never rolled over). */
int date_parse(const char *s, int64_t *out);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out (size >= DATE_BUFSZ); -ERANGE outside years
 * 0001..9999. */
int date_format(int64_t t, char *out, size_t size);

#endif

/* SPDX-License-Identifier: MIT */
/* Option values of the shipped filter plugins (exec, lua): durations and sizes, parsed alike.
 * Not part of the plugin ABI: a header of the source tree, static functions only. */
#ifndef FEEDSPOOL_PLUGINS_OPTIONS_H
#define FEEDSPOOL_PLUGINS_OPTIONS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* "5s", "250ms", "1.5m", "2h"; a bare number is seconds. */
static inline int parse_duration(const char *s, uint64_t *ms)
{
	double v, unit;
	char *end;

	if (!(*s >= '0' && *s <= '9') && *s != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	if (!*end || !strcmp(end, "s"))
		unit = 1000;
	else if (!strcmp(end, "ms"))
		unit = 1;
	else if (!strcmp(end, "m"))
		unit = 60000;
	else if (!strcmp(end, "h"))
		unit = 3600000;
	else
		return -EINVAL;
	v = v * unit + 0.5;
	if (v >= 1e15)
		return -ERANGE;
	*ms = (uint64_t)v;
	return 0;
}

/* A byte count with an optional binary suffix: 4096, 64k, 1M, 1G (a trailing B is allowed). */
static inline int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!(*s >= '0' && *s <= '9'))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX >> 34))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

#endif

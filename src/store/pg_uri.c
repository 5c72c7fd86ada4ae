/* SPDX-License-Identifier: MIT */
/* PostgreSQL connection URIs as the configuration holds them (pg_uri.h). */
#include <stdlib.h>
#include <string.h>

#include "pg_uri.h"

int store_pg_is_uri(const char *state)
{
	return state && (!strncmp(state, "postgresql://", 13) || !strncmp(state, "postgres://", 11));
}

/* Replaces the n bytes at s + at by "***" in the copy *out. */
static char *mask(const char *s, size_t at, size_t n)
{
	size_t len = strlen(s);
	char *o = malloc(len + 4);

	if (o) {
		memcpy(o, s, at);
		memcpy(o + at, "***", 3);
		memcpy(o + at + 3, s + at + n, len - at - n + 1);
	}
	return o;
}

char *pg_admin_uri_shown(const char *uri)
{
	const char *auth = strstr(uri, "://"), *at, *colon, *pw;
	char *s = strdup(uri), *t;

	/* user:PASSWORD@ in the authority (up to the first '/' after the scheme) */
	if (s && auth) {
		auth += 3;
		at = strchr(auth, '@');
		colon = memchr(auth, ':', at ? (size_t)(at - auth) : 0);
		if (at && colon && !memchr(auth, '/', (size_t)(at - auth))) {
			t = mask(uri, (size_t)(colon + 1 - uri), (size_t)(at - colon - 1));
			free(s);
			s = t;
		}
	}
	/* password=... among the query's parameters */
	while (s && (pw = strstr(s, "password=")) && strncmp(pw + 9, "***", 3) != 0 &&
	       (pw == s || pw[-1] == '?' || pw[-1] == '&')) {
		t = mask(s, (size_t)(pw + 9 - s), strcspn(pw + 9, "&"));
		free(s);
		s = t;
	}
	return s;
}

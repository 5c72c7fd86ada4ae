/* SPDX-License-Identifier: MIT */
/* A minimal unit-test harness: CHECK() records a failure with file:line and a message and goes
 * on; check_exit() makes the test's exit status (0 pass, 1 fail) for automake's harness. */
#ifndef FEEDSPOOL_TEST_CHECK_H
#define FEEDSPOOL_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		check_count++;                                                                     \
		if (!(cond)) {                                                                     \
			check_failures++;                                                          \
			fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);           \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* String equality with both values in the message. */
#define CHECK_STR(actual, expected, ...)                                                           \
	do {                                                                                       \
		const char *a_ = (actual), *e_ = (expected);                                       \
		check_count++;                                                                     \
		if (!a_ || !e_ ? a_ != e_ : strcmp(a_, e_) != 0) {                                 \
			check_failures++;                                                          \
			fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                      \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n  expected: \"%s\"\n  actual:   \"%s\"\n",              \
				e_ ? e_ : "(null)", a_ ? a_ : "(null)");                           \
		}                                                                                  \
	} while (0)

/* Printable form of the byte string s[0..n) for failure messages: printable ASCII as it is, other
 * bytes and '\\' as \xHH (four results live at once, each at most 1 KiB). */
static inline const char *check_show(const char *s, size_t n)
{
	static char out[4][1024];
	static int slot;
	char *o = out[slot++ & 3];
	size_t i, j = 0;

	for (i = 0; i < n && j + 5 < sizeof out[0]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7F && c != '\\')
			o[j++] = (char)c;
		else
			j += (size_t)snprintf(o + j, sizeof out[0] - j, "\\x%02X", c);
	}
	o[j] = '\0';
	return o;
}

static inline int check_exit(void)
{
	fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures);
	if (check_count == 0)
		return 99; /* a test that checked nothing is a hard error */
	return check_failures ? 1 : 0;
}

#endif

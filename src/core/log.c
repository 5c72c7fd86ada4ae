/* SPDX-License-Identifier: MIT */
/* Logging to stderr: "feedspool: message" on a terminal or file; under journald, each entry
 * sent through the journal sender (log_journal.c: its priority, and FEED=/URL= fields), or "<4>"
 * before every line of a message when there is none (feedspool-parse does not load
 * libsystemd) or the journal cannot be reached that way. */
#include "autoconfig.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *prog = "feedspool";
static enum log_level max_level = LOG_LVL_INFO;
static int journal;
static log_journal_fn *journal_send;

void log_init(const char *progname)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long dev, ino;

	if (progname)
		prog = progname;
	/* JOURNAL_STREAM is "dev:ino" of the journal socket; trust it only if stderr is that socket. */
	if (js && sscanf(js, "%lu:%lu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	    (unsigned long)st.st_dev == dev && (unsigned long)st.st_ino == ino)
		journal = 1;
}

void log_set_journal(log_journal_fn *send)
{
	journal_send = send;
}

void log_set_level(enum log_level max)
{
	max_level = max;
}

size_t log_feed_of(const char *msg, char *out, size_t n)
{
	const char *end;
	size_t len;

	if (strncmp(msg, "feed ", 5) != 0 || !(end = strstr(msg + 5, ": ")))
		return 0;
	len = (size_t)(end - (msg + 5));
	if (!len || len >= n || memchr(msg + 5, ' ', len) || memchr(msg + 5, '\n', len))
		return 0;
	memcpy(out, msg + 5, len);
	out[len] = '\0';
	return len;
}


/* "<N>" before every line, so that journald gives each line of a multi-line message the
 * message's priority (it reads the prefix per line). */
static void prefixed(FILE *f, int lvl, const char *msg)
{
	for (const char *p = msg, *nl;; p = nl + 1) {
		nl = strchr(p, '\n');
		fprintf(f, "<%d>%.*s\n", lvl, (int)(nl ? nl - p : (ptrdiff_t)strlen(p)), p);
		if (!nl || !nl[1])
			break;
	}
}

void log_write(FILE *f, int to_journal, int lvl, const char *url, const char *msg)
{
	if (!to_journal) {
		fprintf(f, "%s: %s\n", prog, msg);
		return;
	}
	if (f == stderr && journal_send && journal_send(prog, lvl, url, msg) >= 0)
		return;
	prefixed(f, lvl, msg);
}

static void vlog(enum log_level lvl, const char *url, const char *fmt, va_list ap)
{
	char small[1024], *msg = small;
	va_list cp;
	int n;

	if (lvl > max_level)
		return;
	va_copy(cp, ap);
	n = vsnprintf(small, sizeof small, fmt, ap);
	if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)))
		vsnprintf(msg, (size_t)n + 1, fmt, cp);
	va_end(cp);
	log_write(stderr, journal, (int)lvl, url, msg ? msg : small);
	if (msg != small)
		free(msg);
}

void log_feed(enum log_level lvl, const char *url, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, url, fmt, ap);
	va_end(ap);
}

#define DEFINE_LOG(fn, lvl)                                                                        \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(lvl, NULL, fmt, ap);                                                              \
		va_end(ap);                                                                        \
	}

DEFINE_LOG(log_err, LOG_LVL_ERR)
DEFINE_LOG(log_warnx, LOG_LVL_WARNING)
DEFINE_LOG(log_info, LOG_LVL_INFO)
DEFINE_LOG(log_debug, LOG_LVL_DEBUG)

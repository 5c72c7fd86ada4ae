/* SPDX-License-Identifier: MIT */
/* Logging to stderr: "feedspool: message" on a terminal or file, "<4>message" for journald. */
#include "autoconfig.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *prog = "feedspool";
static enum log_level max_level = LOG_LVL_INFO;
static int journal;

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

void log_set_level(enum log_level max)
{
	max_level = max;
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > max_level)
		return;
	if (journal)
		fprintf(stderr, "<%d>", (int)lvl);
	else
		fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define DEFINE_LOG(fn, lvl)                                                                        \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(lvl, fmt, ap);                                                                \
		va_end(ap);                                                                        \
	}

DEFINE_LOG(log_err, LOG_LVL_ERR)
DEFINE_LOG(log_warnx, LOG_LVL_WARNING)
DEFINE_LOG(log_info, LOG_LVL_INFO)
DEFINE_LOG(log_debug, LOG_LVL_DEBUG)

/* SPDX-License-Identifier: MIT */
/* Logging to stderr: "feedspool: message" on a terminal or file; under journald, each entry
 * sent with sd_journal_send (its priority, and FEED=/URL= fields), or "<4>" before every line
 * of a message when the journal cannot be reached that way. */
#include "autoconfig.h"

#include "buf.h"
#include "log.h"
#include "url.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

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

#ifdef HAVE_SYSTEMD
/* One journal entry: the message whole, its priority, and the feed's fields when it names one. */
static int journal_send(int lvl, const char *url, const char *msg)
{
	char prio[16], ident[64], feed[256 + 5], *fields[5];
	struct iovec iov[5];
	struct buf m = BUF_INIT, u = BUF_INIT;
	char *bare = url ? url_strip_userinfo(url) : NULL; /* credentials stay out of the journal */
	size_t n = 0;
	int rc = -1;

	snprintf(prio, sizeof prio, "PRIORITY=%d", lvl);
	snprintf(ident, sizeof ident, "SYSLOG_IDENTIFIER=%s", prog);
	if (buf_printf(&m, "MESSAGE=%s", msg) < 0 ||
	    (url && (!bare || buf_printf(&u, "URL=%s", bare) < 0)))
		goto out;
	fields[n++] = m.data;
	fields[n++] = prio;
	fields[n++] = ident;
	memcpy(feed, "FEED=", 5);
	if (log_feed_of(msg, feed + 5, sizeof feed - 5))
		fields[n++] = feed;
	if (url)
		fields[n++] = u.data;
	for (size_t i = 0; i < n; i++)
		iov[i] = (struct iovec){fields[i], strlen(fields[i])};
	rc = sd_journal_sendv(iov, (int)n);
out:
	free(bare);
	buf_fini(&m);
	buf_fini(&u);
	return rc;
}
#endif

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
#ifdef HAVE_SYSTEMD
	if (f == stderr && journal_send(lvl, url, msg) >= 0)
		return;
#endif
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

/* SPDX-License-Identifier: MIT */
/* Logging to stderr; when stderr is the journal, entries go to journald with their priority on
 * every line and, for messages about a feed ("feed NAME: ..."), FEED= (and URL=) fields. */
#ifndef FEEDSPOOL_LOG_H
#define FEEDSPOOL_LOG_H

#include <stddef.h>
#include <stdio.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARNING = 4, LOG_LVL_NOTICE = 5, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Reads JOURNAL_STREAM and sets the program name; call once at start-up. */
void log_init(const char *progname);
void log_set_level(enum log_level max);
/* How an entry reaches journald when stderr is the journal: log_journal_send() in the core
 * program; without one (feedspool-parse), each line goes to stderr with a "<N>" prefix. */
typedef int log_journal_fn(const char *prog, int lvl, const char *url, const char *msg);
void log_set_journal(log_journal_fn *send);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A message about a feed with its URL (the URL= journal field; shown nowhere else). */
void log_feed(enum log_level lvl, const char *url, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* For tests: the feed a message is about ("feed NAME: ..."), copied into out; its length, or 0. */
size_t log_feed_of(const char *msg, char *out, size_t n);
/* For tests: writes one message as the logger does, to f (to_journal: journald's form). */
void log_write(FILE *f, int to_journal, int lvl, const char *url, const char *msg);

#endif

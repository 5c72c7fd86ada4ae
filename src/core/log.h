/* SPDX-License-Identifier: MIT */
/* Logging to stderr, with journald priority prefixes when stderr is the journal. */
#ifndef FEEDSPOOL_LOG_H
#define FEEDSPOOL_LOG_H

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARNING = 4, LOG_LVL_NOTICE = 5, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Reads JOURNAL_STREAM and sets the program name; call once at start-up. */
void log_init(const char *progname);
void log_set_level(enum log_level max);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

/* SPDX-License-Identifier: MIT */
/* Log entries sent to journald with sd_journal_sendv (the core program's journal sender). */
#ifndef FEEDSPOOL_LOG_JOURNAL_H
#define FEEDSPOOL_LOG_JOURNAL_H

/* One journal entry: the message whole, its priority, SYSLOG_IDENTIFIER=prog, FEED= when the
 * message is about a feed ("feed NAME: ...") and URL= (without userinfo) when url is set. The
 * sd_journal_sendv result: negative when the journal cannot be reached. */
int log_journal_send(const char *prog, int lvl, const char *url, const char *msg);

#endif

/* SPDX-License-Identifier: MIT */
/* The daemon's life: the libuv loop, the schedule of every feed, fetch -> parse -> pipeline,
 * signals (TERM/INT stop, HUP reload) and systemd notification. */
#ifndef FEEDSPOOL_DAEMON_H
#define FEEDSPOOL_DAEMON_H

enum daemon_mode {
	DAEMON_RUN,  /* until stopped by a signal */
	DAEMON_ONCE, /* every feed once, then exit */
};

struct daemon_opts {
	const char *config_path;
	enum daemon_mode mode;
	int progress; /* `once` on a terminal: a live progress line */
	int catchup;  /* `once --catchup`: every feed's first success records its items, writes none */
};

/* Runs the daemon; returns the process exit status: 0, 1 when some feed failed (once), or 2
 * when it could not start (bad configuration, unusable state or spool). */
int daemon_main(const struct daemon_opts *o);

#endif

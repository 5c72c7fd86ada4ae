/* SPDX-License-Identifier: MIT */
/* feedspool-core, the program with every library: feedspool (dispatch.c) becomes it for every
 * command but the ones that only read documents. Picks the subcommand and leaves the work to it. */
#include "autoconfig.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "cmd.h"
#include "commands.h"
#include "log.h"
#include "log_journal.h"

/* Every subcommand of commands.c, parse and date too (run by feedspool-parse when feedspool
 * is started, but this program runs everything). */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"run", cmd_run},	{"once", cmd_run},	{"check", cmd_check},	  {"feeds", cmd_feeds},
	{"state", cmd_state},	{"ctl", cmd_ctl},	{"opml", cmd_opml},	  {"take", cmd_take},
	{"parse", cmd_parse},	{"filter", cmd_filter}, {"extract", cmd_extract}, {"dedup", cmd_dedup},
	{"date", cmd_date},
};

/* Whether a command's work may start transfers: curl_global_init() sets up TLS (OpenSSL's
 * initialization, about 0.5 ms), which the commands that only read documents never use (the
 * URL and date functions of libcurl need no global initialization). */
static int needs_curl(int (*run)(int argc, char **argv))
{
	return run != cmd_parse && run != cmd_date;
}

int main(int argc, char **argv)
{
	size_t i;
	int rc;

	/* the name ps, pgrep and top show: feedspool's, as the user started it (execv named it
	 * after this file); threads started later inherit it */
	prctl(PR_SET_NAME, "feedspool", 0, 0, 0);
	log_init("feedspool");
#ifdef HAVE_SYSTEMD
	log_set_journal(log_journal_send);
#endif
	if ((rc = commands_answer(argc, argv)) >= 0)
		return rc;
	for (i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		xmlInitParser();
		if (needs_curl(commands[i].run))
			curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = commands[i].run(argc - 1, argv + 1);
		if (needs_curl(commands[i].run))
			curl_global_cleanup();
		xmlCleanupParser();
		return rc;
	}
	log_err("unknown command '%s' (see 'feedspool --help')", argv[1]);
	return EXIT_USAGE;
}

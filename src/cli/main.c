/* SPDX-License-Identifier: MIT */
/* feedspool's command line: picks the subcommand and leaves the work to it. */
#include "autoconfig.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{"run", cmd_run, "run the daemon in the foreground"},
	{"once", cmd_run, "fetch every feed once, write new articles to the spool, and exit"},
	{"check", cmd_check, "validate a configuration and print the resolved feed list"},
	{"feeds", cmd_feeds, "show every feed's last fetch, failures and next due time"},
	{"state", cmd_state, "rebuild the state from the spool; export or import it (to PostgreSQL)"},
	{"ctl", cmd_ctl, "refresh, pause or resume feeds of a running daemon, or ask its status"},
	{"opml", cmd_opml, "export the feeds as OPML, or import an OPML file's feeds"},
	{"take", cmd_take, "claim the articles in the spool's new/ and print them (JSON, text, mbox)"},
	{"parse", cmd_parse, "parse feed documents and print their articles as JSON"},
	{"filter", cmd_filter, "run feed documents through the configured filters and print verdicts"},
	{"extract", cmd_extract, "print the main article of web pages (the full-text extractor)"},
	{"dedup", cmd_dedup, "explain the near-duplicate decisions: which article, rule, distance"},
	{"date", cmd_date, "print feed dates read on stdin in UTC (a diagnostic for feed authors)"},
};

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: feedspool COMMAND [OPTION]... [ARG]...\n"
	      "A feed aggregator: RSS, Atom and JSON Feed documents in, one normalized article\n"
	      "per story out.\n\nCommands:\n",
	      f);
	for (i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fputs("\n'feedspool COMMAND --help' describes a command; feedspool(1) all of them.\n"
	      "\n  -h, --help     show this help and exit\n"
	      "  -V, --version  show the version and exit\n",
	      f);
}

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

	log_init("feedspool");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("feedspool %s\n", PACKAGE_VERSION);
		return 0;
	}
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

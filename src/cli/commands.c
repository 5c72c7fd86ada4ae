/* SPDX-License-Identifier: MIT */
/* The subcommands of feedspool(1) as its help lists them (see commands.h). */
#include "autoconfig.h"

#include "commands.h"

#include <string.h>

#include "cmd.h"

#define PARSE "feedspool-parse"
#define CORE "feedspool-core"

static const struct {
	const char *name;
	const char *program; /* the program that runs it (dispatch.c) */
	const char *what;
} commands[] = {
	{"run", CORE, "run the daemon in the foreground"},
	{"once", CORE, "fetch every feed once, write new articles to the spool, and exit"},
	{"check", CORE, "validate a configuration and print the resolved feed list"},
	{"feeds", CORE, "show every feed's last fetch, failures and next due time"},
	{"state", CORE, "rebuild the state from the spool; export or import it (to PostgreSQL)"},
	{"ctl", CORE, "refresh, pause or resume feeds of a running daemon, or ask its status"},
	{"opml", CORE, "export the feeds as OPML, or import an OPML file's feeds"},
	{"take", CORE, "claim the articles in the spool's new/ and print them (JSON, text, mbox)"},
	{"parse", PARSE, "parse feed documents and print their articles as JSON"},
	{"filter", CORE, "run feed documents through the configured filters and print verdicts"},
	{"extract", CORE, "print the main article of web pages (the full-text extractor)"},
	{"dedup", CORE, "explain the near-duplicate decisions: which article, rule, distance"},
	{"date", PARSE, "print feed dates read on stdin in UTC (a diagnostic for feed authors)"},
};

const char *command_program(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].program;
	return NULL;
}

void commands_usage(FILE *f)
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

int commands_answer(int argc, char **argv)
{
	if (argc < 2) {
		commands_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		commands_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("feedspool %s\n", PACKAGE_VERSION);
		return 0;
	}
	return -1;
}

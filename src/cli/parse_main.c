/* SPDX-License-Identifier: MIT */
/* feedspool-parse: the program feedspool (dispatch.c) becomes for parse and date, the commands
 * that only read documents; linked with only the libraries they use (see dispatch.c). */
#include "autoconfig.h"

#include <libxml/parser.h>
#include <string.h>
#include <sys/prctl.h>

#include "cmd.h"
#include "commands.h"
#include "log.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"parse", cmd_parse},
	{"date", cmd_date},
};

int main(int argc, char **argv)
{
	size_t i;
	int rc;

	/* ps and pgrep see feedspool, as the user started it (execv named it after this file) */
	prctl(PR_SET_NAME, "feedspool", 0, 0, 0);
	log_init("feedspool");
	if ((rc = commands_answer(argc, argv)) >= 0)
		return rc;
	for (i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		xmlInitParser();
		rc = commands[i].run(argc - 1, argv + 1);
		xmlCleanupParser();
		return rc;
	}
	log_err("%s: not a command of feedspool-parse (feedspool runs it elsewhere)", argv[1]);
	return EXIT_USAGE;
}

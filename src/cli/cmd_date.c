/* SPDX-License-Identifier: MIT */
/* `feedspool date`: shows feed authors, line by line, how feedspool reads their dates. */
#define _POSIX_C_SOURCE 200809L /* getline() */
#include "autoconfig.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "date.h"
#include "log.h"

static void usage(FILE *f)
{
	fputs("Usage: feedspool date [OPTION]...\n"
	      "Read one date per line on stdin, as a feed would write it (RFC 822, RFC 3339,\n"
	      "ISO 8601 and their common variants), and print it in UTC as YYYY-MM-DDTHH:MM:SSZ,\n"
	      "or an empty line when feedspool does not accept it as a date.\n"
	      "\n"
	      "  -h, --help  show this help and exit\n"
	      "\n"
	      "Exit status: 0 every line was a date, 1 some line was not (or reading or writing\n"
	      "failed), 2 usage error.\n",
	      f);
}

int cmd_date(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		log_err("date: dates are read on stdin, not from arguments ('%s')", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	/* Plain buffered stdio: output stays in input order, and stdio flushes line by line
	 * when stdout is a terminal. */
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		char out[DATE_BUFSZ];
		int64_t t;

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		/* a NUL inside the line would hide the rest of it from date_parse() */
		if (!memchr(line, '\0', (size_t)len) && date_parse(line, &t) == 0 &&
		    date_format(t, out, sizeof(out)) == 0)
			fputs(out, stdout);
		else
			rc = EXIT_INPUT;
		if (putchar('\n') == EOF)
			break;
	}
	free(line);
	/* getline() also stops on ENOMEM, which leaves neither flag set */
	if (ferror(stdin) || !feof(stdin)) {
		log_err("date: reading stdin failed");
		rc = EXIT_INPUT;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_err("date: writing the output failed");
		rc = EXIT_INPUT;
	}
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* `feedspool dedup`: explains the near-duplicate decisions recorded in the state (which article
 * each duplicate matched, by which rule, at which distance). */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "config.h"
#include "date.h"
#include "log.h"
#include "state_read.h"

static int print_why(void *ud, const struct state_why *w)
{
	char when[DATE_BUFSZ];

	(*(size_t *)ud)++;
	if (date_format(w->first_seen, when, sizeof when) < 0)
		snprintf(when, sizeof when, "?");
	printf("%s\n  feed      %s%s%s\n  seen      %s\n  matched   %s (feed %s%s%s)\n  rule      %s\n\n",
	       w->id, w->feed, w->guid ? ", guid " : "", w->guid ? w->guid : "", when,
	       w->alias_of ? w->alias_of : "(expired)", w->of_feed ? w->of_feed : "?",
	       w->of_guid ? ", guid " : "", w->of_guid ? w->of_guid : "", w->why);
	return 0;
}

int cmd_dedup(int argc, char **argv)
{
	static const char help[] =
	    "Usage: feedspool dedup [-c FILE] [FEED]\n"
	    "Explain the near-duplicate decisions recorded in the state: for every article not\n"
	    "written because it is a copy of another (of FEED, or of every feed), the article it\n"
	    "matched and its feed, and the rule with its figures (shared distinctive words,\n"
	    "distance, lead, title words). Reads the state read-only (a SQLite file, or a\n"
	    "postgresql:// database over a read-only connection); safe while daemons run. Exit\n"
	    "status 0, 1 when the state cannot be read, 2 for usage errors.\n\n"
	    "  -c, --config FILE  the configuration (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -h, --help         show this help and exit\n";
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = CONFIG_DEFAULT_PATH;
	struct buf err = BUF_INIT;
	struct config *c;
	struct state_read *st;
	size_t n = 0;
	int o, rc;

	optind = 1;
	while ((o = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		if (o == 'c') {
			path = optarg;
		} else {
			fputs(help, o == 'h' ? stdout : stderr);
			return o == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (!(c = config_load(path, &err))) {
		fprintf(stderr, "%s\n", buf_cstr(&err));
		buf_fini(&err);
		return EXIT_INPUT;
	}
	if (!(st = state_read_open(c->state, &err))) {
		log_err("state %s", buf_cstr(&err));
		buf_fini(&err);
		config_free(c);
		return EXIT_INPUT;
	}
	rc = state_read_why_each(st, optind < argc ? argv[optind] : NULL, print_why, &n);
	if (rc < 0)
		log_err("state %s: %s", state_read_name(st), state_read_error(st));
	else
		printf("%zu near-duplicate%s\n", n, n == 1 ? "" : "s");
	state_read_close(st);
	config_free(c);
	buf_fini(&err);
	return rc < 0 ? EXIT_INPUT : 0;
}

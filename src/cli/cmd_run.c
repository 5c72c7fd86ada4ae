/* SPDX-License-Identifier: MIT */
/* `feedspool run` and `feedspool once`: the daemon in the foreground, or one pass over every feed. */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "daemon.h"
#include "log.h"

static void usage(FILE *f, const char *cmd)
{
	if (!strcmp(cmd, "once"))
		fputs("Usage: feedspool once [-c FILE] [-v] [--catchup]\n"
		      "Fetch every feed of the configuration once, write the new articles to the spool,\n"
		      "and exit: 0 when every feed succeeded, 1 when some failed (summary on stderr).\n"
		      "On a terminal a live progress line shows feeds done, new articles and errors;\n"
		      "otherwise one log line per feed.\n"
		      "  --catchup          for feeds never fetched with success: record their items\n"
		      "                     as seen and write none (a first run, a migration)\n",
		      f);
	else
		fputs("Usage: feedspool run [-c FILE] [-v]\n"
		      "Run the daemon in the foreground (systemd supervises it; it never forks):\n"
		      "every feed is fetched on its schedule and new articles are written to the\n"
		      "spool. SIGTERM or SIGINT stop it gracefully, SIGHUP reloads the configuration.\n",
		      f);
	fputs("\n  -c, --config FILE  the configuration (default " CONFIG_DEFAULT_PATH ")\n"
	      "  -v, --verbose      also log debugging detail\n"
	      "  -h, --help         show this help and exit\n",
	      f);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"catchup", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon_opts o = {CONFIG_DEFAULT_PATH, DAEMON_RUN, 0, 0};
	int c;

	if (!strcmp(argv[0], "once")) {
		o.mode = DAEMON_ONCE;
		o.progress = isatty(2);
	}
	while ((c = getopt_long(argc, argv, "+c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'C':
			if (o.mode != DAEMON_ONCE) {
				usage(stderr, argv[0]);
				return EXIT_USAGE;
			}
			o.catchup = 1;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_err("%s: unexpected argument '%s'", argv[0], argv[optind]);
		return EXIT_USAGE;
	}
	return daemon_main(&o);
}

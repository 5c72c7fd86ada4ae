/* SPDX-License-Identifier: MIT */
/* `feedspool ctl`: asks a running daemon, over its control socket, to refresh, pause or resume
 * feeds, or for its status. */
#include "autoconfig.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "ctl.h"

static const char help[] =
	"Usage: feedspool ctl [-c FILE] [--socket PATH] refresh FEED|--all\n"
	"       feedspool ctl [-c FILE] pause FEED | resume FEED\n"
	"       feedspool ctl [-c FILE] status [--json]\n"
	"Ask the daemon running with configuration FILE, over its control socket (feedspool.ctl\n"
	"beside the state database, mode 0660: root and the service's group may use it):\n"
	"  refresh FEED   fetch FEED now (--all: every feed), whatever its schedule or backoff\n"
	"  pause FEED     fetch FEED no more until resumed (kept across reloads, not restarts)\n"
	"  resume FEED    schedule FEED again, fetching it now when it is due\n"
	"  status         the daemon's counters and every feed's state (--json: as JSON)\n"
	"\n  -c, --config FILE  the configuration (default " CONFIG_DEFAULT_PATH ")\n"
	"      --socket PATH  the control socket (default: beside the state database)\n"
	"  -h, --help         show this help and exit\n"
	"Exit status: 0 done, 1 the daemon refused or cannot be reached, 2 usage or configuration.\n";

static void print_status(json_t *st)
{
	json_t *feeds = json_object_get(st, "feeds"), *f;
	size_t i;

	printf("%-24s %-8s %-8s %s\n", "FEED", "STATE", "PAUSED", "LAST RESULT");
	json_array_foreach(feeds, i, f) {
		printf("%-24s %-8s %-8s %s\n", json_string_value(json_object_get(f, "name")),
		       json_string_value(json_object_get(f, "state")),
		       json_is_true(json_object_get(f, "paused")) ? "yes" : "no",
		       json_string_value(json_object_get(f, "last_result")) ?: "-");
	}
}

/* Builds the request from the operands; NULL (message printed) on a usage error. */
static json_t *request_of(int argc, char **argv, int *as_json)
{
	const char *cmd = argc > 0 ? argv[0] : NULL;

	if (!cmd)
		return NULL;
	if (strcmp(cmd, "status") == 0 && argc <= 2) {
		*as_json = argc == 2 && strcmp(argv[1], "--json") == 0;
		return argc == 2 && !*as_json ? NULL : json_pack("{ss}", "cmd", "status");
	}
	if (argc != 2 || (strcmp(cmd, "refresh") && strcmp(cmd, "pause") && strcmp(cmd, "resume")))
		return NULL;
	if (strcmp(argv[1], "--all") == 0)
		return strcmp(cmd, "refresh") == 0 ? json_pack("{ssss}", "cmd", cmd, "all", "true") : NULL;
	return json_pack("{ssss}", "cmd", cmd, "feed", argv[1]);
}

int cmd_ctl(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cfg_path = CONFIG_DEFAULT_PATH, *sock = NULL;
	struct buf err = BUF_INIT;
	json_t *req, *ans = NULL;
	char *path = NULL;
	int c, as_json = 0, rc = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		if (c == 'c')
			cfg_path = optarg;
		else if (c == 's')
			sock = optarg;
		else {
			fputs(help, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (!(req = request_of(argc - optind, argv + optind, &as_json))) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (json_object_get(req, "all")) /* "all": true, not the string */
		json_object_set_new(req, "all", json_true());
	if (!sock) {
		struct config *cfg = config_load(cfg_path, &err);

		if (!cfg) {
			fprintf(stderr, "%s\n", buf_cstr(&err));
			goto out;
		}
		path = ctl_path_for(cfg->state, cfg->spool);
		config_free(cfg);
	}
	rc = 1;
	if (ctl_request(sock ? sock : path, req, 30000, &ans, &err) < 0)
		fprintf(stderr, "feedspool ctl: %s\n", buf_cstr(&err));
	else if (!json_is_true(json_object_get(ans, "ok")))
		fprintf(stderr, "feedspool ctl: %s\n", json_string_value(json_object_get(ans, "error")) ?: "refused");
	else {
		rc = 0;
		if (as_json)
			json_dumpf(json_object_get(ans, "status"), stdout, JSON_INDENT(2)), putchar('\n');
		else if (json_object_get(ans, "status"))
			print_status(json_object_get(ans, "status"));
	}
out:
	json_decref(req);
	json_decref(ans);
	free(path);
	buf_fini(&err);
	return rc;
}

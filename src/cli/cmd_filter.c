/* SPDX-License-Identifier: MIT */
/* `feedspool filter`: feed documents through the configured filter chain, one JSON line per
 * article with its verdict, the filter that dropped it, and its topics and tags. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "feed.h"
#include "log.h"
#include "plugin.h"

/* Articles waiting for a deferred verdict before reading stops to let them finish. */
#define MAX_WAITING 256
/* How long the plugins' own shutdown may take at the end (an exec co-process: 2 s at most). */
#define CLOSE_WAIT_MS 5000

struct filter_cmd;

/* One article, from its item until its line is printed (in input order). */
struct item {
	struct item *next;
	struct filter_cmd *cmd;
	struct article a;
	int done;
	enum filter_outcome outcome;
	char *dropped_by, *reason;
};

struct filter_cmd {
	struct filter_chain *chain;
	uv_loop_t loop;
	int all;
	const char *feed; /* --feed: the feed every input belongs to */
	struct item *head, **tail;
	size_t waiting; /* items whose verdict is not known yet */
	size_t kept, dropped;
	int failed;
};

static void usage(FILE *f)
{
	fputs(
	    "Usage: feedspool filter [OPTION]... FILE...\n"
	    "Parse feed documents like 'feedspool parse', run every article through the\n"
	    "[filter] sections of the configuration, in order, and print one JSON object per\n"
	    "kept article: {\"id\", \"title\", \"url\", \"verdict\", \"dropped_by\", \"reason\",\n"
	    "\"topics\": [{\"name\", \"score\", \"matched\"}], \"tags\"}. FILE - reads stdin.\n"
	    "\n"
	    "  -c, --config FILE  the configuration (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -a, --all          print dropped articles too (\"verdict\": \"drop\", with the\n"
	    "                     filter that dropped them and why)\n"
	    "  -f, --feed NAME    the inputs are documents of the feed NAME (its name in the\n"
	    "                     articles, and the filters scoped to it judge them); default:\n"
	    "                     each file's base name\n"
	    "  -s, --stats        print each filter's counters on stderr at the end\n"
	    "  -h, --help         show this help and exit\n"
	    "\n"
	    "Plugins named without a '/' are looked up in $" PLUGIN_DIR_ENV " first, then in\n"
	    "plugin_dir.\n"
	    "\n"
	    "Exit status: 0 every input parsed, 1 some input failed or the configuration is\n"
	    "wrong (each problem on stderr), 2 usage error.\n",
	    f);
}

static json_t *jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	return j ? j : json_null();
}

static int print_item(const struct item *it)
{
	const struct article *a = &it->a;
	json_t *o, *topics = json_array(), *tags = json_array();
	size_t i, j;
	int rc;

	for (i = 0; i < a->n_topics; i++) {
		json_t *m = json_array();

		for (j = 0; j < a->topics[i].n_matched; j++)
			json_array_append_new(m, jstr(a->topics[i].matched[j]));
		json_array_append_new(topics,
				      json_pack("{s:o,s:f,s:o}", "name", jstr(a->topics[i].name),
						"score", a->topics[i].score, "matched", m));
	}
	for (i = 0; i < a->n_tags; i++)
		json_array_append_new(tags, jstr(a->tags[i]));
	o = json_pack("{s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o}", "id", a->id, "title", jstr(a->title),
		      "url", jstr(a->url), "verdict", it->outcome == FILTER_KEEP ? "keep" : "drop",
		      "dropped_by", jstr(it->dropped_by), "reason", jstr(it->reason), "topics",
		      topics, "tags", tags);
	if (!o)
		return -ENOMEM;
	rc = json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
	return rc;
}

static void item_free(struct item *it)
{
	article_fini(&it->a);
	free(it->dropped_by);
	free(it->reason);
	free(it);
}

/* Prints (or skips) the articles at the head of the queue whose verdict is known. */
static void flush(struct filter_cmd *cmd)
{
	struct item *it;

	while ((it = cmd->head) && it->done) {
		if (it->outcome == FILTER_KEEP)
			cmd->kept++;
		else
			cmd->dropped++;
		if ((it->outcome == FILTER_KEEP || cmd->all) && print_item(it) < 0)
			cmd->failed = 1;
		cmd->head = it->next;
		if (!cmd->head)
			cmd->tail = &cmd->head;
		item_free(it);
	}
}

static void on_done(void *ud, enum filter_outcome outcome, const char *by, const char *reason)
{
	struct item *it = ud;

	it->done = 1;
	it->outcome = outcome;
	it->dropped_by = by ? strdup(by) : NULL;
	it->reason = reason ? strdup(reason) : NULL;
	it->cmd->waiting--;
}

/* Runs the loop until at most max articles wait, or nothing can make them progress. */
static void drain(struct filter_cmd *cmd, size_t max)
{
	while (cmd->waiting > max && uv_run(&cmd->loop, UV_RUN_ONCE))
		flush(cmd);
	flush(cmd);
}

static int on_article(void *ud, struct article *a, const struct feed_info *f)
{
	struct filter_cmd *cmd = ud;
	struct item *it = calloc(1, sizeof *it);

	if (!it) {
		log_err("filter: out of memory");
		return -1;
	}
	/* the article moves to the queue: a deferred verdict may come after the parser reused a */
	it->a = *a;
	article_init(a);
	it->cmd = cmd;
	*cmd->tail = it;
	cmd->tail = &it->next;
	cmd->waiting++;
	if (filter_chain_run(cmd->chain, &it->a, f, on_done, it) < 0) {
		log_err("filter: out of memory");
		it->done = 1;
		cmd->waiting--;
		return -1;
	}
	drain(cmd, MAX_WAITING);
	return 0;
}

/* Parses and filters one input; 0, or -1 when it failed (the message is logged). */
static int filter_one(struct filter_cmd *cmd, const char *path, int64_t fetched)
{
	struct feed_parser_opts o = {0};
	struct feed_parser *p;
	const char *name = strcmp(path, "-") ? path : "(stdin)";
	int fd, rc;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	o.name = cmd->feed ? cmd->feed : feed_name_of_path(path);
	o.fetched = fetched;
	if (!(p = feed_parser_new(&o, on_article, cmd))) {
		log_err("%s: out of memory", name);
		if (fd)
			close(fd);
		return -1;
	}
	rc = feed_parser_read_fd(p, fd, name);
	if (fd)
		close(fd);
	feed_parser_free(p);
	return rc;
}

static void print_stats(const struct filter_cmd *cmd)
{
	struct filter_stats st;
	size_t i;

	fprintf(stderr, "articles: %zu kept, %zu dropped\n", cmd->kept, cmd->dropped);
	for (i = 0; filter_chain_stats(cmd->chain, i, &st) == 0; i++)
		fprintf(stderr,
			"filter %s: %llu kept, %llu dropped, %llu errors, %llu deferred, "
			"%.3f ms (%s)\n",
			st.name, (unsigned long long)st.kept, (unsigned long long)st.dropped,
			(unsigned long long)st.errors, (unsigned long long)st.pending, st.ns / 1e6,
			st.plugin);
}

static void on_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void on_close_deadline(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Closes the loop: what the plugins' fini() started (an exec co-process reaped, its pipes
 * closed) runs to its end, for at most CLOSE_WAIT_MS; a plugin that left handles open after
 * that gets them closed for it. */
static void loop_close(uv_loop_t *loop)
{
	uv_timer_t deadline;

	uv_timer_init(loop, &deadline);
	uv_timer_start(&deadline, on_close_deadline, CLOSE_WAIT_MS, 0);
	uv_unref((uv_handle_t *)&deadline);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	if (uv_loop_close(loop) == UV_EBUSY) {
		log_warnx("filter: a plugin left event-loop handles open after fini()");
		uv_walk(loop, on_walk, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
		uv_loop_close(loop);
	}
}

int cmd_filter(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"all", no_argument, NULL, 'a'},
	    {"feed", required_argument, NULL, 'f'},   {"stats", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	const char *config_path = CONFIG_DEFAULT_PATH;
	struct filter_cmd cmd = {0};
	struct buf err = BUF_INIT;
	struct config *c;
	int ch, i, failed = 0, stats = 0;
	int64_t fetched;

	while ((ch = getopt_long(argc, argv, "+c:af:sh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'a':
			cmd.all = 1;
			break;
		case 'f':
			cmd.feed = optarg;
			break;
		case 's':
			stats = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_err("filter: no input files (use - for stdin)");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = config_load(config_path, &err))) {
		char *line = err.data, *nl;

		if (!line)
			log_err("%s: cannot load the configuration", config_path);
		for (; line && *line; line = nl ? nl + 1 : NULL) {
			if ((nl = strchr(line, '\n')))
				*nl = '\0';
			log_err("%s", line);
		}
		buf_fini(&err);
		return EXIT_INPUT;
	}
	if (uv_loop_init(&cmd.loop) < 0) {
		log_err("filter: cannot create the event loop");
		config_free(c);
		return EXIT_INPUT;
	}
	cmd.tail = &cmd.head;
	cmd.chain = filter_chain_new(c, &cmd.loop, &err);
	config_free(c);
	if (!cmd.chain) {
		char *line = err.data, *nl;

		for (; line && *line; line = nl ? nl + 1 : NULL) {
			if ((nl = strchr(line, '\n')))
				*nl = '\0';
			log_err("%s", line);
		}
		buf_fini(&err);
		loop_close(&cmd.loop);
		return EXIT_INPUT;
	}
	buf_fini(&err);
	if (!filter_chain_count(cmd.chain))
		log_warnx("%s: no [filter] section: every article is kept", config_path);
	fetched = (int64_t)time(NULL);
	for (i = optind; i < argc; i++)
		if (filter_one(&cmd, argv[i], fetched) < 0)
			failed = 1;
	drain(&cmd, 0);
	if (cmd.waiting)
		log_err("filter: %zu article%s still wait for a verdict that cannot come (nothing "
			"left to wait on): counted as errors",
			cmd.waiting, cmd.waiting == 1 ? "" : "s");
	if (stats)
		print_stats(&cmd);
	filter_chain_free(cmd.chain); /* abandons what still waits: their done callbacks run */
	flush(&cmd);
	loop_close(&cmd.loop);
	if (fflush(stdout) != 0 || ferror(stdout) || cmd.failed) {
		log_err("filter: writing the output failed");
		return EXIT_INPUT;
	}
	return failed ? EXIT_INPUT : 0;
}

/* SPDX-License-Identifier: MIT */
/* `feedspool state rebuild`: the way back from a lost or corrupt state database, a fresh one
 * whose seen set holds every article in the spool's new/ and cur/, so nothing is written twice;
 * `state export` and `state import`: a state as lines of JSON, to move it (into PostgreSQL). */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "dedup.h"
#include "dedup_decide.h"
#include "instance.h"
#include "log.h"
#include "state.h"
#include "state_dump.h"
#include "store.h"
#include "store_pg.h"

struct rebuild {
	struct state *st;
	struct store *store; /* over st: what dedup_decide.c asks (answers within the call) */
	int64_t now;
	size_t added, skipped;
};

static int is_id(const char *s)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[16] == '\0';
}

static void on_near(void *ud, int status)
{
	*(int *)ud = status;
}

/* Records an article as written with what near-duplicate dedup keeps of it (its SimHash,
 * sketch and lookup keys, computed as the pipeline does), so that copies of it are still
 * caught. */
static int record(struct rebuild *rb, json_t *o, const char *id, const char *feed, const char *guid)
{
	struct article a;
	struct dedup_run run;
	struct dedup_verdict v;
	struct state_seen_new n = {0};
	int rc = -EAGAIN; /* set by on_near */

	article_init(&a);
	memset(&v, 0, sizeof v);
	snprintf(a.id, sizeof a.id, "%s", id);
	a.title = (char *)json_string_value(json_object_get(o, "title"));
	a.body = (char *)json_string_value(json_object_get(o, "body"));
	a.guid = (char *)guid;
	dedup_run_init(&run, feed);
	dedup_near(rb->store, &run, &a, 0, &v, on_near, &rc);
	if (rc >= 0) {
		n.id = id;
		n.feed = feed;
		n.guid = guid;
		n.simhash = v.simhash;
		n.status = SEEN_WRITTEN;
		n.sketch = v.sketch.len ? v.sketch.data : NULL;
		n.sketch_len = v.sketch.len;
		n.keys = v.keys;
		n.n_keys = v.n_keys;
		rc = state_seen_add_sketch(rb->st, &n, rb->now);
	}
	if (rc >= 0)
		rc = dedup_run_fini(&run, rb->store, rb->now);
	else
		dedup_run_fini(&run, rb->store, rb->now);
	dedup_verdict_fini(&v);
	return rc;
}

/* Records one article file: its id, feed and guid (the (feed, guid) alias lookup works again),
 * as written, at its highest revision seen, with its dedup sketch. 0, 1 when skipped (said why),
 * negative on a state error. */
static int add_file(struct rebuild *rb, int dir_fd, const char *dir, const char *name)
{
	json_error_t je;
	json_t *o;
	const char *id, *feed, *guid;
	struct seen_entry seen;
	int fd, rc, revision;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		log_warnx("%s/%s: skipped: %s", dir, name, strerror(errno));
		return 1;
	}
	o = json_loadfd(fd, JSON_DISABLE_EOF_CHECK, &je);
	close(fd);
	id = json_string_value(json_object_get(o, "id"));
	feed = json_string_value(json_object_get(json_object_get(o, "feed"), "name"));
	guid = json_string_value(json_object_get(o, "guid"));
	revision = (int)json_integer_value(json_object_get(o, "revision"));
	if (!o || !id || !is_id(id) || !feed) {
		log_warnx("%s/%s: skipped: %s", dir, name,
			  o ? "not a feedspool article (no id or feed name)" : je.text);
		json_decref(o);
		return 1;
	}
	rc = state_seen_get(rb->st, id, NULL, &seen);
	if (rc == 0)
		rc = record(rb, o, id, feed, guid);
	if (rc >= 0 && (rc == 0 || revision > seen.revision))
		rc = state_seen_update(rb->st, id, SEEN_WRITTEN, 0, revision);
	json_decref(o);
	if (rc < 0)
		return rc;
	rb->added++;
	return 0;
}

static int add_dir(struct rebuild *rb, const char *spool, const char *sub)
{
	char dir[4096];
	struct dirent *e;
	DIR *d;
	int rc = 0, fd;

	snprintf(dir, sizeof dir, "%s/%s", spool, sub);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		if (rc == -ENOENT)
			return 0;
		log_err("spool %s: %s", dir, strerror(-rc));
		return rc;
	}
	while (rc >= 0 && (e = readdir(d))) {
		const char *dot = strstr(e->d_name, ".json");

		/* <id>.json, and in cur/ whatever a reader appended after it */
		if (e->d_name[0] == '.' || !dot || dot - e->d_name != 16)
			continue;
		rc = add_file(rb, fd, dir, e->d_name);
		if (rc == 1) {
			rb->skipped++;
			rc = 0;
		}
	}
	closedir(d);
	return rc;
}

/* Moves path (and its -wal and -shm) to path.broken-TIME*, keeping them for a post-mortem. */
static int move_aside(const char *path, char *aside, size_t n)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char from[4216], to[4216], stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	int i;

	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&t, &tm));
	snprintf(aside, n, "%s.broken-%s", path, stamp);
	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof from, "%s%s", path, suffix[i]);
		snprintf(to, sizeof to, "%s%s", aside, suffix[i]);
		if (rename(from, to) != 0 && errno != ENOENT) {
			log_err("state %s: cannot move it aside to %s: %s", from, to,
				strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int rebuild(const struct config *c)
{
	struct instance_lock lock = INSTANCE_LOCK_INIT;
	struct rebuild rb = {0};
	struct buf err = BUF_INIT;
	struct stat st;
	char aside[4200] = "";
	int rc = EXIT_INPUT;

	/* no daemon may run meanwhile: it holds these locks for as long as it runs */
	if (instance_lock(&lock, c->state, c->spool, 0, &err) < 0) {
		fprintf(stderr, "%s", buf_cstr(&err));
		goto out;
	}
	if (lstat(c->state, &st) == 0 && move_aside(c->state, aside, sizeof aside) < 0)
		goto out;
	rb.st = state_open(c->state, 0, &err);
	if (!rb.st) {
		log_err("state %s", buf_cstr(&err));
		goto out;
	}
	if (!(rb.store = store_sqlite_new(rb.st))) {
		log_err("out of memory");
		goto out;
	}
	rb.now = (int64_t)time(NULL);
	if (state_begin(rb.st) < 0 || add_dir(&rb, c->spool, "new") < 0 ||
	    add_dir(&rb, c->spool, "cur") < 0 || state_commit(rb.st) < 0) {
		log_err("state %s: rebuild failed: %s", c->state, state_error(rb.st));
		goto out;
	}
	printf("state %s: rebuilt from %zu articles in %s/new and %s/cur (%zu files skipped)%s%s\n",
	       c->state, rb.added, c->spool, c->spool, rb.skipped,
	       aside[0] ? "; the old one is " : "", aside);
	rc = 0;
out:
	if (rb.store)
		rb.store->ops->close(rb.store);
	state_close(rb.st);
	instance_unlock(&lock);
	buf_fini(&err);
	return rc;
}

static const char *configured_url(void *ud, const char *feed)
{
	const struct feed_conf *f = config_feed(ud, feed);

	return f ? f->url : NULL;
}

/* export to standard output; import from standard input, into an empty state (SQLite: no
 * daemon may hold it meanwhile). */
static int dump(const struct config *c, const char *what, const char *where)
{
	struct instance_lock lock = INSTANCE_LOCK_INIT;
	struct buf err = BUF_INIT;
	int pg = store_pg_is_uri(where);
	long n;

	if (!strcmp(what, "export")) {
		n = state_dump_export(where, stdout, &err);
	} else if (!pg && instance_lock(&lock, where, c->spool, 0, &err) < 0) {
		n = -EBUSY;
	} else {
		n = state_dump_import(where, stdin, "standard input", configured_url, (void *)c,
				      &err);
	}
	instance_unlock(&lock);
	if (n < 0) {
		/* a URI may carry a password: only its scheme is named */
		fprintf(stderr, "feedspool: state %s %s: %s\n", what, pg ? "(PostgreSQL)" : where,
			buf_cstr(&err));
	} else if (!strcmp(what, "import")) {
		fprintf(stderr, "feedspool: state import: %ld records into %s\n", n,
			pg ? "PostgreSQL" : where);
	}
	buf_fini(&err);
	return n < 0 ? EXIT_INPUT : 0;
}

int cmd_state(int argc, char **argv)
{
	static const char help[] =
	    "Usage: feedspool state rebuild [-c FILE]\n"
	    "       feedspool state export [-c FILE] [-s STATE] > FILE\n"
	    "       feedspool state import [-c FILE] [-s STATE] < FILE\n"
	    "Rebuild the state database from the spool, the way back from a corrupt or lost\n"
	    "state: the old database (and its -wal and -shm) is moved aside to\n"
	    "STATE.broken-TIME, and a new one records every article in the spool's new/ and\n"
	    "cur/ (its id, feed and guid) as written, so that the next run writes none of them\n"
	    "again. Feed validators and schedules start afresh. Refused while a daemon runs.\n"
	    "export writes everything the state holds (feeds, validators and schedules, the seen\n"
	    "set with aliases, the near-duplicate index, boilerplate counts, filter counters) as\n"
	    "lines of JSON; import loads such lines into an empty state, in one transaction.\n"
	    "The state is the configuration's `state` (a SQLite file or a postgresql:// URI),\n"
	    "or STATE: export from one, import into the other to move a state into PostgreSQL.\n"
	    "Exit status 0 when done, 1 when not, 2 for usage errors.\n\n"
	    "  -c, --config FILE  the configuration (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -s, --state STATE  this state instead of the configuration's\n"
	    "  -h, --help         show this help and exit\n";
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"state", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = CONFIG_DEFAULT_PATH, *state = NULL, *what;
	struct buf err = BUF_INIT;
	struct config *c;
	int o, rc;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:s:h", longopts, NULL)) != -1) {
		if (o == 'c') {
			path = optarg;
		} else if (o == 's') {
			state = optarg;
		} else if (o == 'h') {
			fputs(help, stdout);
			return 0;
		} else {
			fputs(help, stderr);
			return EXIT_USAGE;
		}
	}
	what = optind + 1 == argc ? argv[optind] : "";
	if (strcmp(what, "rebuild") != 0 && strcmp(what, "export") != 0 && strcmp(what, "import") != 0) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (!(c = config_load(path, &err))) {
		fprintf(stderr, "%s\n", buf_cstr(&err));
		buf_fini(&err);
		return EXIT_INPUT;
	}
	if (strcmp(what, "rebuild") != 0) {
		rc = dump(c, what, state ? state : c->state);
	} else if (store_pg_is_uri(c->state)) {
		log_err("state rebuild: the state is in PostgreSQL; rebuild makes a SQLite file");
		rc = EXIT_INPUT;
	} else {
		rc = rebuild(c);
	}
	config_free(c);
	buf_fini(&err);
	return rc;
}

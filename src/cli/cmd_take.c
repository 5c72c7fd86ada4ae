/* SPDX-License-Identifier: MIT */
/* `feedspool take`: claims the articles waiting in the spool's new/ (the rename into cur/ is the
 * claim, so several takers at once each get distinct articles) and prints them as JSON lines,
 * text or an mbox, or delivers them into a Maildir. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "mail.h"

#define ID_LEN 16
#define MAX_FILE (64 << 20) /* an article file larger than this is not one the daemon wrote */

enum format { F_JSON, F_TEXT, F_MBOX };

struct taker {
	enum format format;
	const char *maildir;
	long max;
	int new_fd, cur_fd, md_fd; /* md_fd: the Maildir, or -1 */
	unsigned long seq;	   /* deliveries, for unique Maildir names */
	long taken;
};

struct entry {
	char name[ID_LEN + 6]; /* "<id>.json" */
	struct timespec mtime;
};

static const char help[] =
	"Usage: feedspool take [-c FILE | -s DIR] [--format json|text|mbox] [--maildir DIR]\n"
	"                      [--max N]\n"
	"Claim the articles waiting in the spool's new/ (each is moved to cur/ exactly once, even\n"
	"with several takers at once), oldest first, and print them on stdout: one JSON object a\n"
	"line (json, the default), the text renderings separated by a form feed line (text), or\n"
	"an mbox of MIME messages (mbox); or deliver each as a message into a Maildir. An article\n"
	"that cannot be printed or delivered goes back to new/. Exit status 0, 1 when an article\n"
	"failed (named on stderr), 2 for usage errors.\n\n"
	"  -c, --config FILE  the configuration naming the spool (default " CONFIG_DEFAULT_PATH ")\n"
	"  -s, --spool DIR    the spool directory (instead of the configuration's)\n"
	"  -f, --format FMT   json, text or mbox (default json)\n"
	"  -m, --maildir DIR  deliver into the Maildir DIR (created when missing) instead\n"
	"  -n, --max N        take at most N articles\n"
	"  -h, --help         show this help and exit\n";

static int valid_name(const char *n)
{
	size_t i;

	for (i = 0; i < ID_LEN; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return 0;
	return strcmp(n + ID_LEN, ".json") == 0;
}

static int by_age(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The articles in new/, oldest first; -errno. */
static int list_new(int new_fd, struct entry **out, size_t *n)
{
	int fd = openat(new_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct entry *v = NULL, *nv;
	struct dirent *de;
	size_t cap = 0;
	struct stat st;

	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!valid_name(de->d_name) || fstatat(new_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue; /* taken meanwhile, or not an article */
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(nv = realloc(v, cap * sizeof *v))) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		memcpy(v[*n].name, de->d_name, ID_LEN + 6);
		v[(*n)++].mtime = st.st_mtim;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, by_age);
	*out = v;
	return 0;
}

/* Reads dir_fd/name into b (b reset first): 0, -errno. */
static int read_at(int dir_fd, const char *name, struct buf *b)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc;

	buf_reset(b);
	if (fd < 0)
		return -errno;
	rc = buf_read_fd(b, fd, MAX_FILE);
	close(fd);
	return rc;
}

/* The text rendering as the daemon writes it: the title, the standfirst, an empty line, the
 * body (when the spool has no <id>.txt). */
static void render_text(const json_t *a, struct buf *out)
{
	const char *t = json_string_value(json_object_get(a, "title"));
	const char *sf = json_string_value(json_object_get(a, "standfirst"));
	const char *body = json_string_value(json_object_get(a, "body"));

	buf_reset(out);
	buf_printf(out, "%s\n", t ? t : "");
	if (sf && *sf)
		buf_printf(out, "%s\n", sf);
	buf_putc(out, '\n');
	if (body && *body)
		buf_printf(out, "%s\n", body);
}

/* Writes a Maildir message: tmp/ first, fsynced, then renamed into new/. 0 or -errno. */
static int maildir_deliver(struct taker *t, const char *id, const struct buf *msg)
{
	char host[64] = "localhost", name[256], tmpname[300], newname[300];
	struct timespec now;
	ssize_t w = 0;
	size_t done = 0;
	int fd, rc = 0;

	(void)gethostname(host, sizeof host - 1);
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(name, sizeof name, "%lld.M%ldP%ldQ%lu_%s.%s", (long long)now.tv_sec,
		 now.tv_nsec / 1000, (long)getpid(), ++t->seq, id, host);
	snprintf(tmpname, sizeof tmpname, "tmp/%s", name);
	snprintf(newname, sizeof newname, "new/%s", name);
	fd = openat(t->md_fd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (done < msg->len && (w = write(fd, msg->data + done, msg->len - done)) > 0)
		done += (size_t)w;
	if (done < msg->len || fsync(fd) != 0)
		rc = w < 0 || done == msg->len ? -errno : -EIO;
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && renameat(t->md_fd, tmpname, t->md_fd, newname) != 0)
		rc = -errno;
	if (rc)
		(void)unlinkat(t->md_fd, tmpname, 0);
	return rc;
}

/* Prints or delivers one claimed article (its JSON in json, text rendering in text). */
static int emit(struct taker *t, const char *id, const json_t *a, const struct buf *text)
{
	struct buf out = BUF_INIT, msg = BUF_INIT;
	int rc = 0;

	if (t->md_fd >= 0 || t->format == F_MBOX) {
		rc = mail_render(a, buf_cstr(text), &msg);
		if (!rc && t->md_fd >= 0)
			rc = maildir_deliver(t, id, &msg);
		else if (!rc)
			rc = mail_mbox_append(a, msg.data, msg.len, &out);
	} else if (t->format == F_TEXT) {
		rc = buf_printf(&out, "%s%s", t->taken ? "\f\n" : "", buf_cstr(text));
	} else {
		char *line = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);

		rc = line ? buf_printf(&out, "%s\n", line) : -ENOMEM;
		free(line);
	}
	if (!rc && out.len && (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)))
		rc = errno ? -errno : -EIO;
	buf_fini(&out);
	buf_fini(&msg);
	return rc;
}

/* Moves name (and its .txt) from one directory to the other; the JSON is the claim. */
static int move(int from, int to, const char *id, int json_first)
{
	char j[ID_LEN + 6], x[ID_LEN + 6];

	snprintf(j, sizeof j, "%s.json", id);
	snprintf(x, sizeof x, "%s.txt", id);
	if (json_first && renameat(from, j, to, j) != 0)
		return -errno;
	if (renameat(from, x, to, x) != 0 && errno != ENOENT && json_first)
		log_warnx("%s: cannot move: %s", x, strerror(errno));
	if (!json_first && renameat(from, j, to, j) != 0)
		return -errno;
	return 0;
}

/* Claims, reads and emits one article: 1 taken, 0 gone (another taker was first), -errno (the
 * message on stderr; an article that could not be emitted is back in new/). */
static int take_one(struct taker *t, const char *spool, const char *name)
{
	struct buf json = BUF_INIT, text = BUF_INIT;
	char id[ID_LEN + 1], txt[ID_LEN + 5];
	json_error_t jerr;
	json_t *a = NULL;
	int rc;

	memcpy(id, name, ID_LEN);
	id[ID_LEN] = '\0';
	rc = move(t->new_fd, t->cur_fd, id, 1);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		log_err("%s/new/%s: cannot claim: %s", spool, name, strerror(-rc));
		return rc;
	}
	rc = read_at(t->cur_fd, name, &json);
	if (rc < 0) {
		log_err("%s/cur/%s: cannot read: %s", spool, name, strerror(-rc));
		goto out;
	}
	if (!(a = json_loadb(json.data, json.len, 0, &jerr)) || !json_is_object(a)) {
		log_err("%s/cur/%s: line %d: not an article: %s (left in cur/)", spool, name,
			jerr.line, a ? "not an object" : jerr.text);
		rc = -EINVAL;
		goto out;
	}
	snprintf(txt, sizeof txt, "%s.txt", id);
	if (t->format != F_JSON || t->md_fd >= 0)
		if (read_at(t->cur_fd, txt, &text) < 0)
			render_text(a, &text);
	rc = emit(t, id, a, &text);
	if (rc < 0) {
		log_err("%s/cur/%s: cannot %s: %s (back in new/)", spool, name,
			t->md_fd >= 0 ? "deliver" : "print", strerror(-rc));
		(void)move(t->cur_fd, t->new_fd, id, 0);
	} else {
		t->taken++;
		rc = 1;
	}
out:
	json_decref(a);
	buf_fini(&json);
	buf_fini(&text);
	return rc;
}

static int open_dirs(struct taker *t, const char *spool)
{
	static const char *const subs[] = {"tmp", "new", "cur"};
	char p[PATH_MAX];
	size_t i;

	snprintf(p, sizeof p, "%s/new", spool);
	if ((t->new_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (snprintf(p, sizeof p, "%s/cur", spool),
	     (t->cur_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0))
		goto fail;
	if (!t->maildir)
		return 0;
	snprintf(p, sizeof p, "maildir %s", t->maildir);
	if ((mkdir(t->maildir, 0700) != 0 && errno != EEXIST) ||
	    (t->md_fd = open(t->maildir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto fail;
	for (i = 0; i < 3; i++)
		if (mkdirat(t->md_fd, subs[i], 0700) != 0 && errno != EEXIST) {
			snprintf(p, sizeof p, "maildir %s/%s", t->maildir, subs[i]);
			goto fail;
		}
	return 0;
fail:
	i = (size_t)errno;
	log_err("%s: %s", p, strerror((int)i));
	return -(int)i;
}

/* Options into t and the spool; the index of the first operand, -1 (help) or -2 (usage). */
static int take_opts(int argc, char **argv, struct taker *t, const char **config,
		     const char **spool)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"spool", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'}, {"maildir", required_argument, NULL, 'm'},
		{"max", required_argument, NULL, 'n'},	  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:s:f:m:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 's': *spool = optarg; break;
		case 'm': t->maildir = optarg; break;
		case 'f':
			if (!strcmp(optarg, "json") || !strcmp(optarg, "text") || !strcmp(optarg, "mbox")) {
				t->format = optarg[0] == 'j' ? F_JSON : optarg[0] == 't' ? F_TEXT : F_MBOX;
				break;
			}
			log_err("take: --format: '%s' is not json, text or mbox", optarg);
			return -2;
		case 'n':
			errno = 0;
			t->max = strtol(optarg, &end, 10);
			if (!errno && *optarg && !*end && t->max > 0)
				break;
			log_err("take: --max: '%s' is not a positive number", optarg);
			return -2;
		case 'h': fputs(help, stdout); return -1;
		default: fputs(help, stderr); return -2;
		}
	}
	return optind;
}

int cmd_take(int argc, char **argv)
{
	struct taker t = {.format = F_JSON, .max = -1, .new_fd = -1, .cur_fd = -1, .md_fd = -1};
	const char *config = CONFIG_DEFAULT_PATH, *spool = NULL;
	struct config *c = NULL;
	struct entry *v = NULL;
	struct buf err = BUF_INIT;
	size_t n = 0, i;
	int rc = take_opts(argc, argv, &t, &config, &spool), status = 0;

	if (rc < 0 || rc < argc) {
		if (rc >= 0)
			log_err("take: unexpected operand '%s'", argv[rc]);
		return rc == -1 ? 0 : EXIT_USAGE;
	}
	if (!spool) {
		if (!(c = config_load(config, &err))) {
			fprintf(stderr, "%s\n", buf_cstr(&err));
			buf_fini(&err);
			return EXIT_USAGE;
		}
		spool = c->spool;
	}
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error to report, the article kept */
	if (open_dirs(&t, spool) < 0 || (rc = list_new(t.new_fd, &v, &n)) < 0) {
		if (rc < 0)
			log_err("%s/new: cannot list: %s", spool, strerror(-rc));
		status = EXIT_INPUT;
		n = 0;
	}
	for (i = 0; i < n && (t.max < 0 || t.taken < t.max); i++) {
		rc = take_one(&t, spool, v[i].name);
		if (rc < 0)
			status = EXIT_INPUT;
		if (rc == -EPIPE || rc == -ENOSPC || rc == -EIO)
			break; /* the output is gone: the others stay in new/ */
	}
	free(v);
	if (t.new_fd >= 0)
		close(t.new_fd);
	if (t.cur_fd >= 0)
		close(t.cur_fd);
	if (t.md_fd >= 0)
		close(t.md_fd);
	config_free(c);
	buf_fini(&err);
	return status;
}

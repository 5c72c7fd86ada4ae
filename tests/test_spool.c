/* SPDX-License-Identifier: MIT */
/* The spool (src/sink/spool.c) on a real uv loop with real files in a mkdtemp directory. */
#include "autoconfig.h"

#define _GNU_SOURCE /* nftw(3) */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "check.h"
#include "spool.h"

static uv_loop_t loop;
static char base[256];
static unsigned long iterations; /* loop iterations, counted by a prepare handle */

struct rec {
	int calls;
	int status;
	unsigned long iteration;
};

static void on_done(void *ud, int status)
{
	struct rec *r = ud;

	r->calls++;
	r->status = status;
	r->iteration = iterations;
}

static void on_prepare(uv_prepare_t *h)
{
	(void)h;
	iterations++;
}

static void run(void)
{
	uv_run(&loop, UV_RUN_DEFAULT);
}

static void on_closed(void *ud)
{
	(*(int *)ud)++;
}

static void close_spool(struct spool *s, const char *what)
{
	int closed = 0;

	spool_close(s, on_closed, &closed);
	run();
	CHECK(closed == 1, "%s: on_closed called once after spool_close (%d)", what, closed);
}

static const char *path(char *out, const char *dir, const char *sub, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s%s%s", dir, sub, name ? "/" : "", name ? name : "");

	if (n < 0 || n >= PATH_MAX)
		out[0] = '\0'; /* never: the test directories are short */
	return out;
}

static int filter(const struct dirent *de)
{
	return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

/* The sorted names in a directory, comma-separated; -1 when it cannot be read. */
static int names(const char *dir, struct buf *out)
{
	struct dirent **list;
	int i, n;

	buf_reset(out);
	buf_puts(out, "");
	n = scandir(dir, &list, filter, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		buf_printf(out, "%s%s", i ? "," : "", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return n;
}

static char *slurp(const char *p, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	int fd;

	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf_puts(&b, "");
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	*len = b.len;
	return buf_steal(&b);
}

static int write_file(const char *p, const char *data)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -1;
}

static void check_file(const char *p, const char *data, size_t len, const char *what)
{
	size_t got_len = 0;
	char *got = slurp(p, &got_len);

	CHECK(got && got_len == len && memcmp(got, data, len) == 0,
	      "%s: %s holds the %zu bytes given (read %zu, %s)", what, p, len, got_len,
	      got ? "differing" : strerror(errno));
	free(got);
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static struct spool *open_spool(const char *name, mode_t umask)
{
	char p[PATH_MAX];
	struct buf err = BUF_INIT;
	struct spool *s;

	snprintf(p, sizeof(p), "%s/%s", base, name);
	s = spool_open(&loop, p, umask, &err);
	CHECK(s != NULL, "spool_open(%s) succeeds (%s)", p, buf_cstr(&err));
	buf_fini(&err);
	return s;
}

/* Stage, then publish, one article with text; contents, modes, and what each directory holds. */
static void test_one(void)
{
	static const char json[] = "{\"schema\":1,\"id\":\"0123456789abcdef\"}\n";
	static const char txt[] = "A title\n\nSome text.\n";
	const char *id = "0123456789abcdef";
	struct rec st = {0}, pub = {0};
	struct buf l = BUF_INIT;
	char p[PATH_MAX], q[PATH_MAX];
	struct spool *s = open_spool("one", 027);
	const char *dir;
	int rc;

	if (!s)
		return;
	dir = spool_dir(s);
	CHECK(mode_of(path(p, dir, "tmp", NULL)) == 02770 &&
		  mode_of(path(p, dir, "new", NULL)) == 02770 &&
		  mode_of(path(p, dir, "cur", NULL)) == 02770,
	      "umask 027 (process umask 077): tmp/, new/, cur/ are 2770 (tmp %o)",
	      (unsigned)mode_of(path(p, dir, "tmp", NULL)));
	CHECK(spool_pending(s) == 0, "a new spool has nothing pending (%zu)", spool_pending(s));

	rc = spool_stage(s, id, json, strlen(json), txt, strlen(txt), on_done, &st);
	CHECK(rc == 0, "spool_stage(%s) returns 0 (%d)", id, rc);
	CHECK(st.calls == 0, "done is never called from within spool_stage (%d)", st.calls);
	run();
	CHECK(st.calls == 1 && st.status == 0, "stage %s: done(0) once (calls %d, status %d)", id,
	      st.calls, st.status);
	names(path(p, dir, "tmp", NULL), &l);
	CHECK_STR(buf_cstr(&l), "0123456789abcdef.json,0123456789abcdef.txt",
		  "tmp/ after the stage");
	names(path(p, dir, "new", NULL), &l);
	CHECK_STR(buf_cstr(&l), "", "new/ holds nothing before the publish");
	check_file(path(p, dir, "tmp", "0123456789abcdef.json"), json, strlen(json), "staged JSON");
	check_file(path(p, dir, "tmp", "0123456789abcdef.txt"), txt, strlen(txt), "staged text");
	CHECK(spool_locate(s, id) == SPOOL_IN_TMP, "staged %s is located in tmp/", id);

	rc = spool_publish(s, id, on_done, &pub);
	CHECK(rc == 0, "spool_publish(%s) returns 0 (%d)", id, rc);
	run();
	CHECK(pub.calls == 1 && pub.status == 0, "publish %s: done(0) once (calls %d, status %d)",
	      id, pub.calls, pub.status);
	names(path(p, dir, "tmp", NULL), &l);
	CHECK_STR(buf_cstr(&l), "", "tmp/ is empty after the publish");
	names(path(p, dir, "new", NULL), &l);
	CHECK_STR(buf_cstr(&l), "0123456789abcdef.json,0123456789abcdef.txt",
		  "new/ after the publish");
	check_file(path(p, dir, "new", "0123456789abcdef.json"), json, strlen(json),
		   "published JSON");
	check_file(path(p, dir, "new", "0123456789abcdef.txt"), txt, strlen(txt), "published text");
	CHECK(mode_of(path(p, dir, "new", "0123456789abcdef.json")) == 0640 &&
		  mode_of(path(p, dir, "new", "0123456789abcdef.txt")) == 0640,
	      "umask 027: files are 0640 (json %o)",
	      (unsigned)mode_of(path(p, dir, "new", "0123456789abcdef.json")));
	CHECK(spool_locate(s, id) == SPOOL_IN_NEW, "published %s is located in new/", id);
	CHECK(spool_pending(s) == 1, "one article pending after the publish (%zu)",
	      spool_pending(s));

	rc = spool_publish(s, id, on_done, &pub);
	run();
	CHECK(rc == 0 && pub.calls == 2 && pub.status == 0 && spool_pending(s) == 1,
	      "publishing %s again (a retry) is done(0) and counts nothing (calls %d, status %d, "
	      "pending %zu)",
	      id, pub.calls, pub.status, spool_pending(s));

	/* A reader takes it. */
	rc = rename(path(p, dir, "new", "0123456789abcdef.json"),
		    path(q, dir, "cur", "0123456789abcdef.json"));
	CHECK(rc == 0 && spool_locate(s, id) == SPOOL_IN_CUR, "taken %s is located in cur/", id);
	CHECK(spool_locate(s, "fedcba9876543210") == SPOOL_NOWHERE, "an unknown id is nowhere");

	close_spool(s, "one");
	buf_fini(&l);
}

/* 1,000 concurrent articles, each published from its stage callback as the daemon does, while
 * a timer checks every millisecond that new/ only ever holds complete files. */
#define MANY 1000

struct many {
	struct spool *s;
	char id[17];
	char *json;
	size_t json_len;
	char *txt; /* every other article has text */
	size_t txt_len;
	struct rec stage;
	struct rec pub;
};

static struct many many[MANY];
static int many_published;
static unsigned long scans, bad_in_new;
static uv_timer_t scanner;

static struct many *many_find(const char *name, int *is_txt)
{
	unsigned long n;
	char *end;

	if (strlen(name) < 17)
		return NULL;
	n = strtoul(name, &end, 16) - 0x5000;
	if (end != name + 16 || n >= MANY)
		return NULL;
	*is_txt = strcmp(end, ".txt") == 0;
	if (!*is_txt && strcmp(end, ".json") != 0)
		return NULL;
	return &many[n];
}

static void on_scan(uv_timer_t *t)
{
	char p[PATH_MAX];
	struct dirent *de;
	struct stat st;
	struct many *m;
	int is_txt;
	DIR *d;

	d = opendir(path(p, (const char *)t->data, "new", NULL));
	if (!d)
		return;
	scans++;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		m = many_find(de->d_name, &is_txt);
		if (!m || fstatat(dirfd(d), de->d_name, &st, 0) != 0 ||
		    (size_t)st.st_size != (is_txt ? m->txt_len : m->json_len)) {
			if (bad_in_new++ == 0)
				fprintf(stderr, "new/ holds %s: unknown or partial\n", de->d_name);
			continue;
		}
		/* A reader that sees the JSON sees the text. */
		if (!is_txt && m->txt) {
			char txt[32];

			snprintf(txt, sizeof(txt), "%s.txt", m->id);
			if (fstatat(dirfd(d), txt, &st, 0) != 0 && bad_in_new++ == 0)
				fprintf(stderr, "new/ holds %s without its text\n", de->d_name);
		}
	}
	closedir(d);
}

static void on_many_published(void *ud, int status)
{
	on_done(ud, status);
	if (++many_published == MANY)
		uv_close((uv_handle_t *)&scanner, NULL);
}

static void on_many_staged(void *ud, int status)
{
	struct many *m = ud;
	int rc;

	on_done(&m->stage, status);
	if (status != 0)
		return;
	rc = spool_publish(m->s, m->id, on_many_published, &m->pub);
	CHECK(rc == 0, "spool_publish(%s) from the stage callback returns 0 (%d)", m->id, rc);
}

static void test_many(void)
{
	struct spool *s = open_spool("many", 027);
	unsigned long first_it = 0, groups = 0, last_it = 0;
	int i, rc, once = 1, bad = 0;
	struct buf l = BUF_INIT;
	char p[PATH_MAX];
	const char *dir;

	if (!s)
		return;
	dir = spool_dir(s);
	uv_timer_init(&loop, &scanner);
	scanner.data = (void *)dir;
	uv_timer_start(&scanner, on_scan, 1, 1);
	for (i = 0; i < MANY; i++) {
		struct many *m = &many[i];
		struct buf b = BUF_INIT;

		m->s = s;
		snprintf(m->id, sizeof(m->id), "%016x", 0x5000 + i);
		buf_printf(&b, "{\"schema\":1,\"id\":\"%s\",\"pad\":\"", m->id);
		while (b.len < 100 + (size_t)(i % 50) * 97)
			buf_putc(&b, 'a' + i % 26);
		buf_puts(&b, "\"}\n");
		m->json_len = b.len;
		m->json = buf_steal(&b);
		if (i % 2 == 0) {
			buf_printf(&b, "text of %s\n", m->id);
			m->txt_len = b.len;
			m->txt = buf_steal(&b);
		}
		rc = spool_stage(s, m->id, m->json, m->json_len, m->txt, m->txt_len, on_many_staged,
				 m);
		if (rc != 0 && once) {
			CHECK(rc == 0, "spool_stage(%s) returns 0 (%d)", m->id, rc);
			once = 0;
		}
	}
	run();
	for (i = 0; i < MANY; i++) {
		struct many *m = &many[i];

		if ((m->stage.calls != 1 || m->stage.status != 0 || m->pub.calls != 1 ||
		     m->pub.status != 0) &&
		    bad++ == 0)
			CHECK(0,
			      "article %s: stage and publish done once with 0 (stage %d calls, "
			      "status %d; publish %d calls, status %d)",
			      m->id, m->stage.calls, m->stage.status, m->pub.calls, m->pub.status);
		if (m->stage.iteration != last_it) {
			groups++;
			last_it = m->stage.iteration;
		}
		if (i == 0)
			first_it = m->stage.iteration;
	}
	CHECK(bad == 0, "all %d articles staged and published exactly once (%d not)", MANY, bad);
	CHECK(groups <= 4 && first_it > 0,
	      "1,000 submissions at once are group-committed: their stage callbacks come in %lu "
	      "loop iterations (expected a few)",
	      groups);
	CHECK(scans > 0 && bad_in_new == 0,
	      "new/ never held an unknown, partial or text-less file (%lu scans, %lu bad)", scans,
	      bad_in_new);
	CHECK(names(path(p, dir, "new", NULL), &l) == MANY + MANY / 2,
	      "new/ holds %d JSON and %d text files", MANY, MANY / 2);
	CHECK(names(path(p, dir, "tmp", NULL), &l) == 0, "tmp/ is empty (%s)", buf_cstr(&l));
	CHECK(spool_pending(s) == MANY, "%d articles pending (%zu)", MANY, spool_pending(s));
	for (i = 0; i < MANY; i++) {
		struct many *m = &many[i];
		char name[32];

		snprintf(name, sizeof(name), "%s.json", m->id);
		check_file(path(p, dir, "new", name), m->json, m->json_len, "many");
		if (m->txt) {
			snprintf(name, sizeof(name), "%s.txt", m->id);
			check_file(path(p, dir, "new", name), m->txt, m->txt_len, "many");
		}
		free(m->json);
		free(m->txt);
	}
	close_spool(s, "many");
	buf_fini(&l);
}

/* Ids that are not exactly 16 lowercase hex digits never reach the file system. */
static void test_bad_ids(void)
{
	static const char *const bad[] = {
	    "",
	    "0123456789abcde",
	    "0123456789abcdef0",
	    "0123456789ABCDEF",
	    "0123456789abcdeg",
	    "../../../etc/pas",
	    "0123456789abcde/",
	    "0123456789abcde\n",
	    ".0123456789abcde",
	    "0123456789abcdef.json",
	    NULL,
	};
	struct spool *s = open_spool("bad", 027);
	struct rec r = {0};
	struct buf l = BUF_INIT;
	char p[PATH_MAX];
	size_t i;
	int rc;

	if (!s)
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *id = bad[i];

		rc = spool_stage(s, id, "{}", 2, "t", 1, on_done, &r);
		CHECK(rc == -EINVAL, "spool_stage(\"%s\") is -EINVAL (%d)", id ? id : "(null)", rc);
		rc = spool_publish(s, id, on_done, &r);
		CHECK(rc == -EINVAL, "spool_publish(\"%s\") is -EINVAL (%d)", id ? id : "(null)",
		      rc);
		rc = spool_publish_now(s, id);
		CHECK(rc == -EINVAL, "spool_publish_now(\"%s\") is -EINVAL (%d)",
		      id ? id : "(null)", rc);
		CHECK(spool_locate(s, id) == SPOOL_NOWHERE, "spool_locate(\"%s\") is nowhere",
		      id ? id : "(null)");
	}
	rc = spool_stage(s, "0123456789abcdef", NULL, 0, NULL, 0, on_done, &r);
	CHECK(rc == -EINVAL, "spool_stage without JSON is -EINVAL (%d)", rc);
	rc = spool_stage(s, "0123456789abcdef", "{}", 2, NULL, 0, NULL, NULL);
	CHECK(rc == -EINVAL, "spool_stage without a done callback is -EINVAL (%d)", rc);
	run();
	CHECK(r.calls == 0, "no done callback for refused submissions (%d)", r.calls);
	names(path(p, spool_dir(s), "tmp", NULL), &l);
	CHECK_STR(buf_cstr(&l), "", "bad ids: nothing created in tmp/");
	names(path(p, spool_dir(s), "new", NULL), &l);
	CHECK_STR(buf_cstr(&l), "", "bad ids: nothing created in new/");
	names(base, &l);
	CHECK(strstr(buf_cstr(&l), "etc") == NULL, "bad ids: nothing created beside the spool (%s)",
	      buf_cstr(&l));
	close_spool(s, "bad");
	buf_fini(&l);
}

static int claim_listed(void *ud, const char *id)
{
	const char *const *keep = ud;

	for (; *keep; keep++)
		if (strcmp(*keep, id) == 0)
			return 1;
	return 0;
}

static void stage_sync(struct spool *s, const char *id, const char *json, const char *txt,
		       int expect, const char *what)
{
	struct rec r = {0};
	int rc;

	rc = spool_stage(s, id, json, strlen(json), txt, txt ? strlen(txt) : 0, on_done, &r);
	CHECK(rc == 0, "%s: spool_stage(%s) returns 0 (%d)", what, id, rc);
	run();
	CHECK(r.calls == 1 && r.status == expect, "%s: stage %s done once with %d (calls %d, %d)",
	      what, id, expect, r.calls, r.status);
}

static void publish_sync(struct spool *s, const char *id, int expect, const char *what)
{
	struct rec r = {0};
	int rc;

	rc = spool_publish(s, id, on_done, &r);
	CHECK(rc == 0, "%s: spool_publish(%s) returns 0 (%d)", what, id, rc);
	run();
	CHECK(r.calls == 1 && r.status == expect, "%s: publish %s done once with %d (calls %d, %d)",
	      what, id, expect, r.calls, r.status);
}

/* A restart after staging without publishing: the article is found in tmp/ and published;
 * unclaimed staged files are removed; leftovers of the same id are replaced. */
static void test_recovery(void)
{
	const char *b1 = "b100000000000001", *b2 = "b100000000000002", *b3 = "b100000000000003";
	const char *b4 = "b100000000000004", *d = "d100000000000001", *x = "e100000000000001";
	const char *keep[] = {b2, d, NULL};
	struct buf l = BUF_INIT;
	char p[PATH_MAX], dir[PATH_MAX];
	struct spool *s = open_spool("recovery", 027);
	int rc;

	if (!s)
		return;
	snprintf(dir, sizeof(dir), "%s", spool_dir(s));
	/* A crash left a partial b4 and a stale text of x; junk that is no article's. */
	write_file(path(p, dir, "tmp", "b100000000000004.json"), "{\"par");
	stage_sync(s, b1, "{\"b\":1}", "text b1", 0, "recovery");
	stage_sync(s, b2, "{\"b\":2}", NULL, 0, "recovery");
	stage_sync(s, b3, "{\"b\":3}", "text b3", 0, "recovery");
	stage_sync(s, b4, "{\"b\":4,\"whole\":true}", NULL, 0, "recovery");
	check_file(path(p, dir, "tmp", "b100000000000004.json"), "{\"b\":4,\"whole\":true}", 20,
		   "a leftover tmp file of the same id is replaced");
	stage_sync(s, x, "{\"x\":1}", "stale text", 0, "recovery");
	stage_sync(s, x, "{\"x\":2}", NULL, 0, "recovery");
	CHECK(access(path(p, dir, "tmp", "e100000000000001.txt"), F_OK) != 0,
	      "restaging %s without text removes its stale tmp/ text", x);
	CHECK(mode_of(path(p, dir, "tmp", "b100000000000001.json")) == 0640,
	      "staged files are 0640 (%o)",
	      (unsigned)mode_of(path(p, dir, "tmp", "b100000000000001.json")));
	close_spool(s, "recovery, before the restart");

	write_file(path(p, dir, "tmp", "junk"), "junk");
	write_file(path(p, dir, "tmp", "b100000000000009.json.part"), "junk");
	/* An article already published whose tmp/ copy survived. */
	write_file(path(p, dir, "tmp", "d100000000000001.json"), "{\"d\":1}");
	write_file(path(p, dir, "new", "d100000000000001.json"), "{\"d\":1}");

	s = open_spool("recovery", 027);
	if (!s)
		goto out;
	CHECK(spool_pending(s) == 1, "reopened: new/ counted at open (1, got %zu)",
	      spool_pending(s));
	CHECK(access(path(p, dir, "tmp", "junk"), F_OK) != 0 &&
		  access(path(p, dir, "tmp", "b100000000000009.json.part"), F_OK) != 0,
	      "spool_open removes tmp/ names that are no article's");
	CHECK(spool_locate(s, b1) == SPOOL_IN_TMP, "after a restart, staged %s is in tmp/", b1);
	rc = spool_publish_now(s, b1);
	CHECK(rc == 0, "spool_publish_now(%s) returns 0 (%d)", b1, rc);
	CHECK(spool_locate(s, b1) == SPOOL_IN_NEW, "recovered %s is in new/", b1);
	check_file(path(p, dir, "new", "b100000000000001.json"), "{\"b\":1}", 7, "recovered JSON");
	check_file(path(p, dir, "new", "b100000000000001.txt"), "text b1", 7, "recovered text");
	CHECK(spool_pending(s) == 2, "pending counts the recovered article (2, got %zu)",
	      spool_pending(s));
	rc = spool_publish_now(s, b1);
	CHECK(rc == 0, "spool_publish_now(%s) again: already published, 0 (%d)", b1, rc);
	CHECK(spool_locate(s, d) == SPOOL_IN_NEW, "%s, in tmp/ and new/, is located in new/", d);

	rc = spool_clean_tmp(s, claim_listed, keep);
	/* b3.json, b3.txt, b4.json, x.json, and d's tmp/ copy despite being claimed */
	CHECK(rc == 5, "spool_clean_tmp removes 5 files (%d)", rc);
	names(path(p, dir, "tmp", NULL), &l);
	CHECK_STR(buf_cstr(&l), "b100000000000002.json", "tmp/ keeps only the claimed article");
	CHECK(spool_locate(s, b3) == SPOOL_NOWHERE, "unclaimed %s is gone", b3);
	rc = spool_publish_now(s, b3);
	CHECK(rc == -ENOENT, "spool_publish_now(%s) of a removed article is -ENOENT (%d)", b3, rc);
	publish_sync(s, b2, 0, "recovery: a claimed article published the usual way");
	names(path(p, dir, "new", NULL), &l);
	CHECK_STR(buf_cstr(&l),
		  "b100000000000001.json,b100000000000001.txt,b100000000000002.json,"
		  "d100000000000001.json",
		  "new/ after the recovery");
	rc = spool_clean_tmp(s, NULL, NULL);
	CHECK(rc == 0, "spool_clean_tmp on an empty tmp/ removes nothing (%d)", rc);
	close_spool(s, "recovery");
out:
	buf_fini(&l);
}

static int claim_revision(void *ud, const char *id)
{
	return strcmp(id, ud) == 0 ? 2 : 0;
}

/* A revision: the same names staged again and published over the older copy in new/; a crash
 * after staging it leaves it in tmp/ beside the older copy, which a claim of 2 keeps. */
static void test_revision(void)
{
	const char *r = "c100000000000001";
	struct buf l = BUF_INIT, got = BUF_INIT;
	char p[PATH_MAX], q[PATH_MAX], dir[PATH_MAX];
	struct spool *s = open_spool("revision", 027);
	int rc;

	if (!s)
		return;
	snprintf(dir, sizeof(dir), "%s", spool_dir(s));
	stage_sync(s, r, "{\"v\":0}\n", "text 0", 0, "first version");
	publish_sync(s, r, 0, "first version");
	stage_sync(s, r, "{\"v\":1}\n", "text 1", 0, "revision 1");
	publish_sync(s, r, 0, "revision 1 over the unread first version");
	check_file(path(p, dir, "new", "c100000000000001.json"), "{\"v\":1}\n", 8,
		   "revision 1 replaced the JSON in new/");
	check_file(path(p, dir, "new", "c100000000000001.txt"), "text 1", 6,
		   "revision 1 replaced the text in new/");
	/* a reader takes revision 1; revision 2 is staged, then the process dies */
	CHECK(rename(path(p, dir, "new", "c100000000000001.json"),
		     path(q, dir, "cur", "c100000000000001.json")) == 0,
	      "a reader moves %s into cur/", q);
	stage_sync(s, r, "{\"v\":2}\n", "text 2", 0, "revision 2");
	close_spool(s, "revision, before the restart");

	s = open_spool("revision", 027);
	if (!s)
		goto out;
	rc = spool_read_staged(s, r, &got);
	CHECK(rc == 0 && !strcmp(buf_cstr(&got), "{\"v\":2}\n"),
	      "spool_read_staged(%s): expected 0 and revision 2's JSON, got %d \"%s\"", r, rc,
	      buf_cstr(&got));
	buf_reset(&got);
	CHECK(spool_read_staged(s, "c100000000000009", &got) == -ENOENT,
	      "spool_read_staged of an id not staged: expected -ENOENT");
	rc = spool_clean_tmp(s, claim_revision, (void *)r);
	CHECK(rc == 0,
	      "spool_clean_tmp with the revision claimed 2: expected nothing removed, beside "
	      "the older copy in new/ (%d)",
	      rc);
	names(path(p, dir, "tmp", NULL), &l);
	CHECK_STR(buf_cstr(&l), "c100000000000001.json,c100000000000001.txt",
		  "tmp/ keeps the revision claimed 2");
	rc = spool_publish_now(s, r);
	CHECK(rc == 0, "spool_publish_now(%s) of revision 2: expected 0 (%d)", r, rc);
	check_file(path(p, dir, "new", "c100000000000001.json"), "{\"v\":2}\n", 8,
		   "recovery published revision 2 into new/");
	check_file(path(p, dir, "new", "c100000000000001.txt"), "text 2", 6, "with its text");
	check_file(path(p, dir, "cur", "c100000000000001.json"), "{\"v\":1}\n", 8,
		   "the reader's revision 1 in cur/ is left alone");
	names(path(p, dir, "tmp", NULL), &l);
	CHECK_STR(buf_cstr(&l), "", "tmp/ is empty after publishing the revision");
	close_spool(s, "revision");
out:
	buf_fini(&l);
	buf_fini(&got);
}

static void on_closed_after(void *ud)
{
	int *counts = ud;

	counts[1] = counts[0]; /* done callbacks seen when on_closed came */
	counts[2]++;
}

static void on_close_done(void *ud, int status)
{
	int *counts = ud;

	if (status == 0)
		counts[0]++;
}

/* spool_close finishes what was submitted, refuses what comes after, then calls on_closed. */
static void test_close(void)
{
	struct spool *s = open_spool("close", 027);
	int counts[3] = {0, 0, 0}, i, rc;
	char id[17];

	if (!s)
		return;
	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "%016x", 0xc105e00 + i);
		spool_stage(s, id, "{}", 2, NULL, 0, on_close_done, counts);
	}
	spool_close(s, on_closed_after, counts);
	rc = spool_stage(s, "c100000000000001", "{}", 2, NULL, 0, on_close_done, counts);
	CHECK(rc == -ESHUTDOWN, "spool_stage after spool_close is -ESHUTDOWN (%d)", rc);
	rc = spool_publish(s, "c100000000000001", on_close_done, counts);
	CHECK(rc == -ESHUTDOWN, "spool_publish after spool_close is -ESHUTDOWN (%d)", rc);
	run();
	CHECK(counts[0] == 50 && counts[1] == 50 && counts[2] == 1,
	      "the 50 staged before spool_close completed before on_closed, called once "
	      "(%d done, %d before on_closed, on_closed %d times)",
	      counts[0], counts[1], counts[2]);
}

static void test_open_errors(void)
{
	struct buf err = BUF_INIT, l = BUF_INIT;
	char p[PATH_MAX], q[PATH_MAX];
	struct spool *s;

	snprintf(p, sizeof(p), "%s/afile", base);
	write_file(p, "x");
	s = spool_open(&loop, p, 027, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), p) && strstr(buf_cstr(&err), strerror(ENOTDIR)),
	      "spool_open on a regular file fails naming it and ENOTDIR (%s)", buf_cstr(&err));
	spool_close(s, NULL, NULL);

	buf_reset(&err);
	snprintf(p, sizeof(p), "%s/missing/spool", base);
	s = spool_open(&loop, p, 027, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), p) && strstr(buf_cstr(&err), strerror(ENOENT)),
	      "spool_open under a missing directory fails naming it and ENOENT (%s)",
	      buf_cstr(&err));

	buf_reset(&err);
	snprintf(p, sizeof(p), "%s/tmpfile", base);
	mkdir(p, 0755);
	write_file(path(q, p, "tmp", NULL), "x");
	s = spool_open(&loop, p, 027, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), q) && strstr(buf_cstr(&err), strerror(ENOTDIR)),
	      "spool_open with tmp/ a file fails naming %s and ENOTDIR (%s)", q, buf_cstr(&err));
	names(p, &l);
	CHECK_STR(buf_cstr(&l), "tmp", "a failed spool_open leaves no directory after tmp/");

	if (geteuid() != 0) {
		buf_reset(&err);
		snprintf(p, sizeof(p), "%s/ro", base);
		mkdir(p, 0755);
		mkdir(path(q, p, "tmp", NULL), 0500);
		s = spool_open(&loop, p, 027, &err);
		CHECK(s == NULL && strstr(buf_cstr(&err), "not writable"),
		      "spool_open with tmp/ mode 0500 fails: not writable (%s)", buf_cstr(&err));
		chmod(q, 0755);
	}
	buf_fini(&err);
	buf_fini(&l);
}

/* Write failures reach done() for every article of the batch; new/ is untouched. */
static void test_write_errors(void)
{
	static const char *const ids[] = {"e000000000000001", "e000000000000002",
					  "e000000000000003", "e000000000000004",
					  "e000000000000005"};
	const size_t n = sizeof(ids) / sizeof(ids[0]);
	struct rec r[5], big = {0}, small = {0}, bigtxt = {0};
	struct buf l = BUF_INIT;
	char p[PATH_MAX], dir[PATH_MAX], bigbuf[4001];
	struct rlimit old, lim;
	struct spool *s;
	size_t i;
	int rc;

	/* tmp/ removed under a running spool: every article of the batch gets -ENOENT. */
	s = open_spool("gone", 027);
	if (s) {
		snprintf(dir, sizeof(dir), "%s", spool_dir(s));
		rc = rmdir(path(p, dir, "tmp", NULL));
		CHECK(rc == 0, "rmdir %s (%s)", p, strerror(errno));
		memset(r, 0, sizeof(r));
		for (i = 0; i < n; i++)
			spool_stage(s, ids[i], "{}", 2, i % 2 ? "t" : NULL, 1, on_done, &r[i]);
		run();
		for (i = 0; i < n; i++)
			CHECK(r[i].calls == 1 && r[i].status == -ENOENT,
			      "tmp/ gone: stage %s done once with -ENOENT (calls %d, status %d)",
			      ids[i], r[i].calls, r[i].status);
		publish_sync(s, ids[0], -ENOENT, "tmp/ gone");
		names(path(p, dir, "new", NULL), &l);
		CHECK_STR(buf_cstr(&l), "", "tmp/ gone: new/ stays empty");
		close_spool(s, "gone");
	}

	if (geteuid() != 0) {
		s = open_spool("eacces", 027);
		if (s) {
			snprintf(dir, sizeof(dir), "%s", spool_dir(s));
			chmod(path(p, dir, "tmp", NULL), 0500);
			memset(r, 0, sizeof(r));
			for (i = 0; i < n; i++)
				spool_stage(s, ids[i], "{}", 2, "t", 1, on_done, &r[i]);
			run();
			for (i = 0; i < n; i++)
				CHECK(r[i].calls == 1 && r[i].status == -EACCES,
				      "tmp/ mode 0500: stage %s done once with -EACCES (%d, %d)",
				      ids[i], r[i].calls, r[i].status);
			chmod(path(p, dir, "tmp", NULL), 0750);
			close_spool(s, "eacces");
		}
	} else {
		fprintf(stderr, "test_spool: running as root: skipping the tmp/ mode 0500 "
				"(EACCES) checks, root writes anyway\n");
	}

	/* A write that fails midway (RLIMIT_FSIZE, as ENOSPC would): that article fails, leaving
	 * no partial file; the other article of the batch is durable. */
	s = open_spool("efbig", 027);
	if (!s)
		goto out;
	snprintf(dir, sizeof(dir), "%s", spool_dir(s));
	memset(bigbuf, 'x', sizeof(bigbuf) - 1);
	bigbuf[sizeof(bigbuf) - 1] = '\0';
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1000;
	signal(SIGXFSZ, SIG_IGN);
	rc = setrlimit(RLIMIT_FSIZE, &lim);
	CHECK(rc == 0, "setrlimit(RLIMIT_FSIZE, 1000) (%s)", strerror(errno));
	spool_stage(s, "f000000000000001", bigbuf, strlen(bigbuf), NULL, 0, on_done, &big);
	spool_stage(s, "f000000000000002", "{}", 2, "t", 1, on_done, &small);
	spool_stage(s, "f000000000000003", "{}", 2, bigbuf, strlen(bigbuf), on_done, &bigtxt);
	run();
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(big.calls == 1 && big.status == -EFBIG,
	      "a 4000-byte JSON over a 1000-byte limit: done once with -EFBIG (%d, %d)", big.calls,
	      big.status);
	CHECK(bigtxt.calls == 1 && bigtxt.status == -EFBIG,
	      "a 4000-byte text over a 1000-byte limit: done once with -EFBIG (%d, %d)",
	      bigtxt.calls, bigtxt.status);
	CHECK(small.calls == 1 && small.status == 0,
	      "a small article in the same batch: done once with 0 (%d, %d)", small.calls,
	      small.status);
	CHECK(access(path(p, dir, "tmp", "f000000000000001.json"), F_OK) != 0 &&
		  access(path(p, dir, "tmp", "f000000000000003.txt"), F_OK) != 0,
	      "failed writes leave no partial file in tmp/");
	publish_sync(s, "f000000000000001", -ENOENT, "publishing a failed stage");
	names(path(p, dir, "new", NULL), &l);
	CHECK_STR(buf_cstr(&l), "", "failed writes: new/ stays empty");
	/* The daemon retries later, and a publish batch mixes good and missing articles. */
	memset(&big, 0, sizeof(big));
	stage_sync(s, "f000000000000001", bigbuf, NULL, 0, "retry after the limit is lifted");
	memset(r, 0, sizeof(r));
	spool_publish(s, "f000000000000001", on_done, &r[0]);
	spool_publish(s, "f000000000000002", on_done, &r[1]);
	spool_publish(s, "f0000000000000ff", on_done, &r[2]);
	run();
	CHECK(r[0].calls == 1 && r[0].status == 0 && r[1].calls == 1 && r[1].status == 0,
	      "publish batch: staged articles done with 0 (%d, %d)", r[0].status, r[1].status);
	CHECK(r[2].calls == 1 && r[2].status == -ENOENT,
	      "publish batch: a never staged article is -ENOENT (%d, %d)", r[2].calls, r[2].status);
	names(path(p, dir, "new", NULL), &l);
	CHECK_STR(buf_cstr(&l), "f000000000000001.json,f000000000000002.json,f000000000000002.txt",
		  "new/ after the mixed batch");
	close_spool(s, "efbig");
out:
	buf_fini(&l);
}

/* spool_pending follows readers taking files: new/ is recounted about every 5 s. The spool is
 * opened first and checked last, so the other tests run during the wait. */
static struct spool *rescan_spool;
static uint64_t rescan_opened;

static void rescan_start(void)
{
	const char *ids[] = {"a000000000000001", "a000000000000002", "a000000000000003"};
	char p[PATH_MAX], q[PATH_MAX], name[32];
	size_t i;

	rescan_spool = open_spool("rescan", 027);
	if (!rescan_spool)
		return;
	rescan_opened = uv_hrtime();
	for (i = 0; i < 3; i++) {
		stage_sync(rescan_spool, ids[i], "{}", NULL, 0, "rescan");
		publish_sync(rescan_spool, ids[i], 0, "rescan");
	}
	CHECK(spool_pending(rescan_spool) == 3, "rescan: 3 pending after publishing 3 (%zu)",
	      spool_pending(rescan_spool));
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s.json", ids[i]);
		rename(path(p, spool_dir(rescan_spool), "new", name),
		       path(q, spool_dir(rescan_spool), "cur", name));
	}
}

static void on_rescan_poll(uv_timer_t *t)
{
	/* Up to 15 s, for a loaded machine. */
	if (spool_pending(rescan_spool) == 1 || uv_hrtime() - rescan_opened > 15000000000ULL)
		uv_close((uv_handle_t *)t, NULL);
}

static void rescan_finish(void)
{
	uv_timer_t poll;

	if (!rescan_spool)
		return;
	uv_timer_init(&loop, &poll);
	uv_timer_start(&poll, on_rescan_poll, 100, 100);
	run();
	CHECK(spool_pending(rescan_spool) == 1,
	      "rescan: after readers took 2 of 3, the recount finds 1 pending (%zu after %.1f s)",
	      spool_pending(rescan_spool), (double)(uv_hrtime() - rescan_opened) / 1e9);
	close_spool(rescan_spool, "rescan");
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

/* A text left in tmp/ by an earlier run (a crash between staging and publishing) is never
 * published with a JSON-only restage of its id, even by a spool that has staged no text itself
 * (which skips the text's removal and move only while it knows tmp/ holds none). */
static void test_stale_text_at_open(void)
{
	const char *id = "5100000000000001";
	char p[PATH_MAX], dir[PATH_MAX];
	struct spool *s = open_spool("stale", 027);
	struct buf l = BUF_INIT;

	if (!s)
		return;
	snprintf(dir, sizeof(dir), "%s", spool_dir(s));
	close_spool(s, "stale, before the crash");
	write_file(path(p, dir, "tmp", "5100000000000001.txt"), "stale text");
	s = open_spool("stale", 027);
	if (!s)
		return;
	stage_sync(s, id, "{\"s\":1}", NULL, 0, "a JSON-only restage after a restart");
	publish_sync(s, id, 0, "a JSON-only restage after a restart");
	names(path(p, dir, "new", NULL), &l);
	CHECK_STR(buf_cstr(&l), "5100000000000001.json",
		  "new/ holds the JSON alone, not the stale text of an earlier run");
	CHECK(access(path(p, dir, "tmp", "5100000000000001.txt"), F_OK) != 0,
	      "the stale text is gone from tmp/");
	close_spool(s, "stale");
	buf_fini(&l);
}

int main(void)
{
	uv_prepare_t prepare;
	const char *tmpdir = getenv("TMPDIR");
	int rc;

	/* Stricter than the spool's: the spool's umask must decide the modes. */
	umask(077);
	snprintf(base, sizeof(base), "%s/test_spool.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(base)) {
		perror(base);
		return 99;
	}
	uv_loop_init(&loop);
	uv_prepare_init(&loop, &prepare);
	uv_prepare_start(&prepare, on_prepare);
	uv_unref((uv_handle_t *)&prepare);

	rescan_start();
	test_one();
	test_many();
	test_bad_ids();
	test_recovery();
	test_stale_text_at_open();
	test_revision();
	test_close();
	test_open_errors();
	test_write_errors();
	rescan_finish();

	uv_close((uv_handle_t *)&prepare, NULL);
	run();
	rc = uv_loop_close(&loop);
	CHECK(rc == 0, "the loop closes cleanly: every handle and request is gone (%s)",
	      rc ? uv_strerror(rc) : "ok");
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_exit();
}

/* SPDX-License-Identifier: MIT */
/* Fuzz target: OPML feed lists (src/config/opml.c with libxml2, and the feeds config.c makes of them).
 *
 * Input: the OPML document, written to a memory file. Invariants checked (opml.h, config.h): a
 * refused list comes with a message; a list that makes a configuration exports as OPML that
 * reads back as the same feeds (names, urls, categories and links; a category's feeds together),
 * and `opml import` writes [feed] sections that load as the same feeds too (less the repeated
 * URLs it warns about). */
#include "autoconfig.h"

#define _GNU_SOURCE /* memfd_create(2) */

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "url.h"
#include "fuzz.h"
#include "opml.h"

struct mfile {
	int fd;
	char path[40];
};

static struct mfile in, again, ini;

static void mfile_open(struct mfile *m)
{
	m->fd = memfd_create("fuzz", MFD_CLOEXEC);
	FUZZ_ASSERT(m->fd >= 0, "memfd_create");
	snprintf(m->path, sizeof m->path, "/proc/self/fd/%d", m->fd);
}

static void mfile_put(struct mfile *m, const void *data, size_t size)
{
	FUZZ_ASSERT(ftruncate(m->fd, 0) == 0, "ftruncate");
	FUZZ_ASSERT(size == 0 || pwrite(m->fd, data, size, 0) == (ssize_t)size, "pwrite");
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Every feed of b is the feed of a with its name (url, and with cats its category and link), and
 * b has them all unless some were left out as repeated URLs (dups). */
static void same_feeds(const struct config *a, const struct config *b, int cats, int dups,
		       const char *how)
{
	const struct feed_conf *f;
	size_t i;

	FUZZ_ASSERT(a->n_feeds == b->n_feeds || (dups && b->n_feeds < a->n_feeds),
		    "%s: %zu feeds, then %zu", how, a->n_feeds, b->n_feeds);
	for (i = 0; i < b->n_feeds; i++) {
		f = config_feed(a, b->feeds[i].name);
		FUZZ_ASSERT(f != NULL, "%s: feed %s is new", how, b->feeds[i].name);
		/* an export carries no credentials: a URL's user:password@ is left out */
		char *bare = url_strip_userinfo(f->url);

		FUZZ_ASSERT(bare && (!strcmp(f->url, b->feeds[i].url) || !strcmp(bare, b->feeds[i].url)),
			    "%s: feed %s: %s, then %s", how, f->name, f->url, b->feeds[i].url);
		free(bare);
		FUZZ_ASSERT(!cats || (same_text(f->category, b->feeds[i].category) &&
				      same_text(f->link, b->feeds[i].link)),
			    "%s: feed %s: category or link changed", how, f->name);
	}
}

/* Writes what f holds into m and rewinds f. */
static void mfile_from(struct mfile *m, FILE *f, const char *prefix)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int c;

	FUZZ_ASSERT(mem != NULL, "open_memstream");
	fputs(prefix, mem);
	rewind(f);
	while ((c = getc(f)) != EOF)
		putc(c, mem);
	fclose(mem);
	mfile_put(m, text, len);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opml_list l = {NULL, 0, 0};
	struct buf err = BUF_INIT, warn = BUF_INIT;
	struct config *c, *back;
	FILE *tmp;
	int line, rc;

	if (!in.path[0]) {
		mfile_open(&in);
		mfile_open(&again);
		mfile_open(&ini);
	}
	mfile_put(&in, data, size);
	rc = opml_read(in.path, &l, &line, &err);
	FUZZ_ASSERT(rc == 0 || err.len > 0, "opml_read refused the list without a message");
	opml_list_fini(&l);
	buf_reset(&err);

	c = config_from_opml(in.path, &err);
	if (!c) {
		FUZZ_ASSERT(err.len > 0, "config_from_opml refused the list without a message");
		buf_fini(&err);
		return 0;
	}
	tmp = tmpfile();
	FUZZ_ASSERT(tmp != NULL, "tmpfile");

	/* export, read back */
	FUZZ_ASSERT(opml_export(c, tmp) == 0, "opml_export");
	mfile_from(&again, tmp, "");
	buf_reset(&err);
	back = config_from_opml(again.path, &err);
	FUZZ_ASSERT(back != NULL, "the exported list is refused: %s", buf_cstr(&err));
	same_feeds(c, back, 1, 0, "export then read");
	config_free(back);

	/* import as [feed] sections, load them */
	FUZZ_ASSERT(ftruncate(fileno(tmp), 0) == 0, "ftruncate");
	rewind(tmp);
	buf_reset(&err);
	buf_reset(&warn);
	FUZZ_ASSERT(opml_import(in.path, tmp, &warn, &err) == 0, "opml_import: %s",
		    buf_cstr(&err));
	fflush(tmp);
	mfile_from(&ini, tmp, "[feedspool]\nallow_file_urls = yes\n");
	buf_reset(&err);
	back = config_load(ini.path, &err);
	FUZZ_ASSERT(back != NULL, "the imported sections are refused: %s", buf_cstr(&err));
	same_feeds(c, back, 0, warn.len > 0, "import then load");
	config_free(back);

	fclose(tmp);
	config_free(c);
	buf_fini(&err);
	buf_fini(&warn);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Fuzz target: OPML feed lists (src/config/opml.c with libxml2, and the feeds config.c makes of them).
 *
 * Input: the OPML document, written to a memory file. Invariants checked (opml.h, config.h): a
 * refused list comes with a message; a list that makes a configuration exports as OPML that
 * reads back as the same feeds (names and urls, in order), and `opml import` writes [feed]
 * sections that load as the same feeds too. */
#include "autoconfig.h"

#define _GNU_SOURCE /* memfd_create(2) */

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
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

/* The same feeds, in the same order. */
static void same_feeds(const struct config *a, const struct config *b, const char *how)
{
	size_t i;

	FUZZ_ASSERT(a->n_feeds == b->n_feeds, "%s: %zu feeds, then %zu", how, a->n_feeds,
		    b->n_feeds);
	for (i = 0; i < a->n_feeds; i++) {
		FUZZ_ASSERT(!strcmp(a->feeds[i].name, b->feeds[i].name),
			    "%s: feed %zu is %s, then %s", how, i, a->feeds[i].name,
			    b->feeds[i].name);
		FUZZ_ASSERT(!strcmp(a->feeds[i].url, b->feeds[i].url), "%s: feed %s: %s, then %s",
			    how, a->feeds[i].name, a->feeds[i].url, b->feeds[i].url);
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
	struct buf err = BUF_INIT;
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
	same_feeds(c, back, "export then read");
	config_free(back);

	/* import as [feed] sections, load them */
	FUZZ_ASSERT(ftruncate(fileno(tmp), 0) == 0, "ftruncate");
	rewind(tmp);
	buf_reset(&err);
	FUZZ_ASSERT(opml_import(in.path, tmp, &err) == 0, "opml_import: %s", buf_cstr(&err));
	fflush(tmp);
	mfile_from(&ini, tmp, "[feedspool]\nallow_file_urls = yes\n");
	buf_reset(&err);
	back = config_load(ini.path, &err);
	FUZZ_ASSERT(back != NULL, "the imported sections are refused: %s", buf_cstr(&err));
	same_feeds(c, back, "import then load");
	config_free(back);

	fclose(tmp);
	config_free(c);
	buf_fini(&err);
	return 0;
}

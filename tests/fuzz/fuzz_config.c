/* SPDX-License-Identifier: MIT */
/* Fuzz target: the configuration file (src/config/config.c with inih, and the OPML lists it names).
 *
 * Input: the configuration text; after a NUL byte, optionally, the text of feeds.opml, written
 * next to it (so that "opml = feeds.opml" reads it). Both live in a directory made once per
 * process. Invariants checked (config.h): a refused file comes with an error message; a loaded
 * one has feeds with unique valid names (a-z, 0-9, single '-', at most 64 bytes) and a url, can
 * be printed and exported as OPML, and every feed is found by its name. */
#include "autoconfig.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static char dir[] = "/tmp/feedspool-fuzz-config.XXXXXX";
static char conf_path[sizeof dir + 32], opml_path[sizeof dir + 32];
static FILE *devnull;

static void cleanup(void)
{
	unlink(conf_path);
	unlink(opml_path);
	rmdir(dir);
}

static void put(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_ASSERT(fd >= 0, "cannot write %s", path);
	FUZZ_ASSERT(size == 0 || write(fd, data, size) == (ssize_t)size, "cannot write %s", path);
	close(fd);
}

static int valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > 64 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] == '-' && s[i + 1] != '-')))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	struct buf err = BUF_INIT;
	struct config *c;
	size_t i, j;

	if (!devnull) {
		FUZZ_ASSERT(mkdtemp(dir) != NULL, "mkdtemp");
		snprintf(conf_path, sizeof conf_path, "%s/feedspool.conf", dir);
		snprintf(opml_path, sizeof opml_path, "%s/feeds.opml", dir);
		atexit(cleanup);
		devnull = fopen("/dev/null", "w");
		FUZZ_ASSERT(devnull != NULL, "/dev/null");
	}
	put(conf_path, data, nul ? (size_t)(nul - data) : size);
	if (nul)
		put(opml_path, nul + 1, size - (size_t)(nul - data) - 1);
	else
		unlink(opml_path);

	c = config_load(conf_path, &err);
	if (!c) {
		FUZZ_ASSERT(err.len > 0, "refused without a message");
		buf_fini(&err);
		return 0;
	}
	for (i = 0; i < c->n_feeds; i++) {
		FUZZ_ASSERT(c->feeds[i].name && valid_name(c->feeds[i].name), "feed name '%s'",
			    c->feeds[i].name ? c->feeds[i].name : "(null)");
		FUZZ_ASSERT(c->feeds[i].url != NULL, "feed %s without a url", c->feeds[i].name);
		FUZZ_ASSERT(config_feed(c, c->feeds[i].name) == &c->feeds[i], "feed %s not found",
			    c->feeds[i].name);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(c->feeds[i].name, c->feeds[j].name),
				    "two feeds named %s", c->feeds[i].name);
	}
	config_print(c, devnull);
	FUZZ_ASSERT(opml_export(c, devnull) == 0, "opml_export");
	config_free(c);
	buf_fini(&err);
	return 0;
}

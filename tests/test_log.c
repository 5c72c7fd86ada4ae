/* SPDX-License-Identifier: MIT */
/* Logging (src/core/log.c): under journald every line of a multi-line message carries the
 * message's priority (journald reads the "<N>" prefix per line: before, only the first line had
 * it and the rest were logged as info); a message about a feed names it for the FEED= field. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log.h"

/* What log_write writes to a file for one message. */
static char *written(int to_journal, int lvl, const char *msg)
{
	static char out[1024];
	FILE *f = tmpfile();
	size_t n;

	log_write(f, to_journal, lvl, NULL, msg);
	rewind(f);
	n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

int main(void)
{
	char feed[64];

	log_init("feedspool");
	CHECK_STR(written(1, 3, "feed lwn: error: line 3: bad\nsecond\nthird"),
		  "<3>feed lwn: error: line 3: bad\n<3>second\n<3>third\n",
		  "every line keeps the error priority");
	CHECK_STR(written(1, 4, "one line"), "<4>one line\n", "a one-line warning");
	CHECK_STR(written(1, 6, "trailing newline\n"), "<6>trailing newline\n", "no empty extra line");
	CHECK_STR(written(0, 3, "a\nb"), "feedspool: a\nb\n", "a terminal or a file: as written");

	CHECK(log_feed_of("feed lwn: ok 3 new", feed, sizeof feed) == 3, "feed named");
	CHECK_STR(feed, "lwn", "the feed");
	CHECK(log_feed_of("feedspool: started", feed, sizeof feed) == 0, "not about a feed");
	CHECK(log_feed_of("feed two words: x", feed, sizeof feed) == 0, "a name has no space");
	CHECK(log_feed_of("feed x", feed, sizeof feed) == 0, "no colon, no feed");
	return check_exit();
}

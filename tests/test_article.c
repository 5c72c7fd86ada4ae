/* SPDX-License-Identifier: MIT */
/* Article identity (src/parse/article.c): the id is the XXH3-64 of the identity key, whichever
 * way it is computed, and the ids of fixed articles never change (they are dedup keys kept in
 * users' state). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "article.h"
#include "check.h"

struct id_case {
	const char *url, *guid, *title;
	int64_t published, updated;
	const char *id; /* as main 49942ad computed it */
};

static void one(const struct id_case *c)
{
	struct article a;
	struct buf k = BUF_INIT;
	char want[17];

	article_init(&a);
	a.url = c->url ? strdup(c->url) : NULL;
	a.guid = c->guid ? strdup(c->guid) : NULL;
	a.title = c->title ? strdup(c->title) : NULL;
	a.published = c->published;
	a.updated = c->updated;
	article_identity_key(&a, "https://feed.example/rss", &k);
	snprintf(want, sizeof want, "%016llx",
		 (unsigned long long)XXH3_64bits(buf_cstr(&k), k.len));
	article_make_id(&a, "https://feed.example/rss");
	CHECK_STR(a.id, want, "id of (%s, %s, %s) is the hash of its key \"%s\"",
		  c->url ? c->url : "NULL", c->guid ? c->guid : "NULL", c->title ? c->title : "NULL",
		  buf_cstr(&k));
	if (c->id)
		CHECK_STR(a.id, c->id, "id of (%s, %s, %s) as it always was",
			  c->url ? c->url : "NULL", c->guid ? c->guid : "NULL",
			  c->title ? c->title : "NULL");
	buf_fini(&k);
	article_fini(&a);
}

int main(void)
{
	static const struct id_case cases[] = {
		/* canonical URLs: the plain way (no curl) and curl's */
		{"https://www.Example.com/news/a-story/?utm_source=rss#top", NULL, NULL, DATE_NONE,
		 DATE_NONE, "1f7c677fcf33ffdb"},
		{"https://example.com/caf%C3%A9?id=3", "g", "t", DATE_NONE, DATE_NONE, "5fb78e3b0aacb16b"},
		{"http://[::1]:8080/x", NULL, NULL, DATE_NONE, DATE_NONE, "fa2dbe449d43d246"},
		/* no canonical URL: feed URL and guid, or title and date */
		{"/relative/link", "guid-1", NULL, DATE_NONE, DATE_NONE, "64a6b1170b100564"},
		{NULL, "guid-1", "title", 1700000000, DATE_NONE, "64a6b1170b100564"},
		{NULL, NULL, "A title", 1700000000, 1700000100, "367d7f8c233d7477"},
		{NULL, NULL, "A title", DATE_NONE, 1700000100, "c5055bdc2dd11966"},
		{NULL, NULL, NULL, DATE_NONE, DATE_NONE, "45ce77fb41fbe81c"},
		{"mailto:x@example.com", "", "t", DATE_NONE, DATE_NONE, "266d909613830709"},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		one(&cases[i]);
	return check_exit();
}

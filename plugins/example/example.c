/* SPDX-License-Identifier: MIT */
/* An example feedspool filter plugin: drops the articles whose title contains a configured word
 * (ignoring ASCII case), tagging them first, unless an earlier filter of the chain tagged them
 * with the `unless` tag. Build it out of the tree with:
 *
 *   cc -shared -fPIC $(pkg-config --cflags feedspool-plugin) -o example.so example.c
 *
 * and use it from feedspool.conf:
 *
 *   [filter no-rumours]
 *   plugin = /path/to/example.so
 *   word = rumour
 *   tag = rumour-mill
 *   unless = trusted       ; a tag an earlier filter gives (optional)
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <feedspool/plugin.h>

struct example {
	const struct feedspool_host *host; /* valid until fini() */
	char *word, *tag, *unless;         /* our copies: options are borrowed during init() */
};

/* Whether s contains word, ignoring ASCII case. */
static int contains(const char *s, const char *word)
{
	size_t n = strlen(word), i;

	for (; *s; s++) {
		for (i = 0; i < n && s[i]; i++)
			if (tolower((unsigned char)s[i]) != tolower((unsigned char)word[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Whether an earlier filter tagged the article with tag. The tags came with ABI 1.1: a 1.0 host
 * fills a smaller article, without them. */
static int tagged(const struct feedspool_article *article, const char *tag)
{
	size_t i;

	if (!tag || !FEEDSPOOL_ARTICLE_HAS(article, tags))
		return 0;
	for (i = 0; i < article->n_tags; i++)
		if (!strcmp(article->tags[i], tag))
			return 1;
	return 0;
}

static void example_free(struct example *ex)
{
	free(ex->word);
	free(ex->tag);
	free(ex->unless);
	free(ex);
}

static int example_init(const struct feedspool_host *host, const struct feedspool_option *options,
			size_t n_options, void **state)
{
	struct example *ex = calloc(1, sizeof *ex);
	size_t i;

	if (!ex)
		return -ENOMEM;
	ex->host = host;
	for (i = 0; i < n_options; i++) {
		char **dst;

		if (!strcmp(options[i].key, "word")) {
			dst = &ex->word;
		} else if (!strcmp(options[i].key, "tag")) {
			dst = &ex->tag;
		} else if (!strcmp(options[i].key, "unless")) {
			dst = &ex->unless;
		} else {
			/* an error logged during init() becomes the configuration error */
			host->log(host, FEEDSPOOL_LOG_ERR,
				  "unknown option '%s' (word, tag, unless)", options[i].key);
			example_free(ex);
			return -EINVAL;
		}
		free(*dst);
		if (!(*dst = strdup(options[i].value))) {
			example_free(ex);
			return -ENOMEM;
		}
	}
	if (!ex->word || !*ex->word) {
		host->log(host, FEEDSPOOL_LOG_ERR, "option 'word' is missing");
		example_free(ex);
		return -EINVAL;
	}
	*state = ex;
	return 0;
}

static enum feedspool_verdict example_filter(void *state, const struct feedspool_article *article,
					     struct feedspool_call *call)
{
	struct example *ex = state;

	if (!article->title || !contains(article->title, ex->word))
		return FEEDSPOOL_KEEP;
	if (tagged(article, ex->unless)) {
		ex->host->explain(call, "the title has the word, but an earlier filter vouched");
		return FEEDSPOOL_KEEP;
	}
	/* annotations are copied by the host; they stay on the article even when it is dropped */
	ex->host->annotate_tag(call, ex->tag ? ex->tag : "example");
	ex->host->explain(call, "the title has the configured word");
	return FEEDSPOOL_DROP;
}

static void example_fini(void *state)
{
	example_free(state);
}

FEEDSPOOL_PLUGIN("example", "1.0", "drops articles whose title contains a word", example_init,
		 example_filter, example_fini);

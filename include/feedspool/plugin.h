/* SPDX-License-Identifier: MIT */
/* feedspool filter plugin ABI: the only header a filter plugin includes.
 *
 * A plugin is a shared object that exports one constant descriptor named
 * feedspool_plugin_descriptor, filled with FEEDSPOOL_PLUGIN(). The host loads it, refuses a
 * descriptor of another ABI major, one smaller than the oldest size it knows, or one without
 * init/filter/fini, and then, for each [filter NAME] section of the configuration that names the
 * plugin, calls init() once to get an instance, filter() once per article, and fini() at the end.
 * One shared object may back several instances; each has its own state.
 *
 * Threading: every call happens on the host's event-loop thread. filter() must not block: a
 * plugin that has to wait (a co-process, a lookup) returns FEEDSPOOL_PENDING and answers later,
 * from the loop thread, through host->complete().
 *
 * Ownership and lifetimes (the rules of this ABI):
 * - Everything the host passes (host, options, article, and every string in them) is borrowed:
 *   valid during the call only, except `host`, which is valid from init() until fini() returns,
 *   and a pending verdict's article, which stays valid until host->complete() for it returns.
 *   Copy what you keep.
 * - Everything a plugin passes to the host (annotations, messages) is copied by the host before
 *   the call returns. The host never frees plugin memory and plugins never free host memory.
 * - The state returned by init() belongs to the plugin; the host hands it back to filter() and
 *   fini() and never looks inside.
 * - A call handle is valid from the filter() call that received it until its verdict is known:
 *   filter()'s return for a synchronous answer, host->complete() for a deferred one. When the
 *   host shuts down it abandons the calls still pending (the filter's on_error applies to them)
 *   before it calls fini(): by then their handles and articles are gone, and fini() must not
 *   call host->complete().
 *
 * Loading: the host loads a shared object once per process and never unmaps it, so the close
 * callbacks of libuv handles that fini() closed may run after fini() returns; a plugin replaced
 * on disk takes effect at the next start, not at a reload.
 *
 * Versioning: a new member is only ever added at the end of a struct, using a reserved slot or
 * growing the size, with a minor bump; the host reads `size` to know which members a plugin
 * has, and a plugin reads the size of what the host fills (FEEDSPOOL_ARTICLE_HAS) or the host's
 * abi_minor. A change that breaks this is a major bump, and the host refuses other majors.
 * ABI 1.1 added to the article: revision, feed (the whole feed object), links, the topics and
 * tags of earlier filters, content_html, link_texts and images; to the host: article_json. A
 * plugin built against 1.0 loads and works unchanged. (content_html, link_texts and images came
 * after the other 1.1 members but before 1.1 was released, so they stay in minor 1.1; a plugin
 * tests them with FEEDSPOOL_ARTICLE_HAS like every member past fetched.)
 */
#ifndef FEEDSPOOL_PLUGIN_H
#define FEEDSPOOL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FEEDSPOOL_PLUGIN_ABI_MAJOR 1
#define FEEDSPOOL_PLUGIN_ABI_MINOR 1

/* The verdict of one filter on one article. */
enum feedspool_verdict {
	FEEDSPOOL_KEEP = 0,
	FEEDSPOOL_DROP = 1,
	FEEDSPOOL_ERROR = 2,   /* the host applies the filter's on_error (keep by default) */
	FEEDSPOOL_PENDING = 3, /* answered later through host->complete() */
};

/* Log levels for host->log (syslog's numbers). */
enum feedspool_log_level {
	FEEDSPOOL_LOG_ERR = 3,
	FEEDSPOOL_LOG_WARNING = 4,
	FEEDSPOOL_LOG_INFO = 6,
	FEEDSPOOL_LOG_DEBUG = 7,
};

struct feedspool_person {
	const char *name, *email, *uri; /* any may be NULL */
};

struct feedspool_enclosure {
	const char *url, *type;
	int64_t length; /* -1 when unknown */
};

/* Since ABI 1.1. The elements of an array (links, topics, authors, enclosures) never grow: a new
 * member of an element would come as a new array. */
struct feedspool_link {
	const char *url, *rel, *type, *title; /* rel, type and title may be NULL */
};

/* Since ABI 1.1: an image inline in the article's HTML (content_html). */
struct feedspool_image {
	const char *src; /* absolute */
	const char *alt; /* "" when the image has none */
};

/* Since ABI 1.1: a topic an earlier filter of the chain added (annotate_topic). */
struct feedspool_topic {
	const char *name;
	double score;
	const char *const *matched; /* the phrases that matched; NULL when n_matched is 0 */
	size_t n_matched;
};

/* Since ABI 1.1: the feed an article came from, the spool's "feed" object. */
struct feedspool_feed {
	size_t size; /* sizeof the struct the host filled: members past it do not exist */
	const char *name, *url, *title, *link, *language, *subtitle;
	int64_t updated;
	const struct feedspool_person *authors;
	size_t n_authors;
};

/* A read-only view of one article: the fields of the spool schema (feedspool(1), ARTICLE
 * SCHEMA), the same that the exec plugin's co-processes get as JSON (host->article_json).
 * Strings are UTF-8 and NUL-terminated; an absent one is NULL. title, standfirst, summary and
 * body are plain text (body: one line per block), not HTML (the HTML is content_html). Dates
 * are seconds since the epoch, INT64_MIN when unknown (the spool writes them as ISO 8601
 * strings). */
struct feedspool_article {
	size_t size; /* sizeof the struct the host filled: members past it do not exist */
	const char *id, *url, *guid;
	const char *title, *standfirst, *summary, *body, *language;
	const char *feed_name, *feed_url, *feed_title; /* the same as feed->name, url, title */
	const struct feedspool_person *authors;
	size_t n_authors;
	const char *const *categories;
	size_t n_categories;
	const struct feedspool_enclosure *enclosures;
	size_t n_enclosures;
	int64_t published, updated, fetched;
	/* ABI 1.1: test with FEEDSPOOL_ARTICLE_HAS() before reading (a 1.0 host has none). */
	int revision;			    /* 0: the first version; n: the nth revision */
	const struct feedspool_feed *feed;  /* NULL when the feed is unknown */
	const struct feedspool_link *links; /* as in the spool: the item's, then inline */
	size_t n_links;
	/* what the filters before this one in the chain added, in order (this filter's own
	 * annotations are not in them until the next filter) */
	const struct feedspool_topic *topics;
	size_t n_topics;
	const char *const *tags;
	size_t n_tags;
	/* the body's source HTML, sanitized (the spool's "content_html"); NULL when none */
	const char *content_html;
	/* the text of each link, parallel to links (n_links entries): an inline link's (rel
	 * "inline", a link in content_html) text, NULL for the item's own links; NULL when
	 * n_links is 0. An array of its own because the elements of links never grow. */
	const char *const *link_texts;
	/* the images in content_html: absolute src, each once, at most 1000 */
	const struct feedspool_image *images;
	size_t n_images;
};

/* Whether a struct the host filled (an article or a feed) has member m: true when the host's
 * ABI minor is the one that added it, or later. */
#define FEEDSPOOL_HAS(p, type, m) ((p)->size >= offsetof(type, m) + sizeof(((type *)0)->m))
#define FEEDSPOOL_ARTICLE_HAS(a, m) FEEDSPOOL_HAS(a, struct feedspool_article, m)

/* One key = value pair from the filter's configuration section (plugin, on_error and
 * answer_timeout excluded), in the order written. */
struct feedspool_option {
	const char *key, *value;
};

/* Identifies one filter() call in progress, for annotations and a deferred answer. */
struct feedspool_call;

/* What the host offers a plugin. */
struct feedspool_host {
	size_t size;
	unsigned abi_major, abi_minor;
	/* Logs a message, prefixed with the filter's name. */
	void (*log)(const struct feedspool_host *host, enum feedspool_log_level level,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	/* Adds a topic to the article: its name, a score, and the phrases that matched (may be
	 * NULL/0). Several calls add several topics. Returns 0 or a negative errno code. */
	int (*annotate_topic)(struct feedspool_call *call, const char *topic, double score,
			      const char *const *matched, size_t n_matched);
	/* Adds a free-form tag. */
	int (*annotate_tag)(struct feedspool_call *call, const char *tag);
	/* Answers a call for which filter() returns FEEDSPOOL_PENDING, exactly once, from the loop
	 * thread; verdict is KEEP, DROP or ERROR (anything else counts as ERROR). It may also be
	 * called from inside filter() itself, which must then return FEEDSPOOL_PENDING. The host
	 * may run the rest of the chain, and hand the article on, before complete() returns. An
	 * answer that does not come within the filter's answer_timeout (default 60 s) counts as
	 * ERROR; a later one is refused, as is a second one. */
	void (*complete)(struct feedspool_call *call, enum feedspool_verdict verdict);
	/* The directory of the configuration file, for resolving relative option values. */
	const char *config_dir;
	/* The event loop (a uv_loop_t *) for plugins that wait on file descriptors or timers. */
	void *loop;
	/* The filter's name: NAME of its [filter NAME] section. */
	const char *name;
	/* Says, in one line, why the verdict is what it is (shown by `feedspool filter --all`,
	 * logged at debug level); call it before the verdict is known. Returns 0 or a negative
	 * errno code. */
	int (*explain)(struct feedspool_call *call, const char *reason);
	/* ABI 1.1 (NULL on a 1.0 host): the call's article as one line of JSON (no newline), the
	 * very text the spool's <id>.json holds (feedspool(1), ARTICLE SCHEMA), with the topics and
	 * tags added so far (by the filters before this one, and by this one if it annotated
	 * before the first request). Sets *len (may be NULL) to its length. The text is
	 * the host's, valid until the call's verdict is known; NULL (and *len 0) for a call handle
	 * that is not in progress or when memory runs out. */
	const char *(*article_json)(struct feedspool_call *call, size_t *len);
	void *reserved[5];
};

/* The descriptor a plugin exports as `feedspool_plugin_descriptor`. */
struct feedspool_plugin {
	unsigned abi_major, abi_minor; /* the ABI the plugin was built against */
	size_t size;                   /* sizeof(struct feedspool_plugin) at build time */
	const char *name, *version, *description;
	/* Creates an instance from its options. Returns 0 and sets *state, or a negative errno code
	 * after explaining the problem with host->log (a configuration error: `feedspool check`
	 * reports it and the daemon does not start). */
	int (*init)(const struct feedspool_host *host, const struct feedspool_option *options,
		    size_t n_options, void **state);
	/* Judges one article: KEEP, DROP, ERROR, or PENDING (then host->complete() later). */
	enum feedspool_verdict (*filter)(void *state, const struct feedspool_article *article,
					 struct feedspool_call *call);
	/* Releases the instance. Pending calls must have been completed or are abandoned. */
	void (*fini)(void *state);
	void *reserved[8];
};

/* Fills a descriptor, stamping the ABI version and size:
 *   FEEDSPOOL_PLUGIN("name", "1.0", "what it does", my_init, my_filter, my_fini);
 */
#define FEEDSPOOL_PLUGIN(name_, version_, description_, init_, filter_, fini_)                 \
	__attribute__((visibility("default"))) const struct feedspool_plugin                   \
		feedspool_plugin_descriptor = {                                                \
			.abi_major = FEEDSPOOL_PLUGIN_ABI_MAJOR,                               \
			.abi_minor = FEEDSPOOL_PLUGIN_ABI_MINOR,                               \
			.size = sizeof(struct feedspool_plugin),                               \
			.name = (name_),                                                       \
			.version = (version_),                                                 \
			.description = (description_),                                         \
			.init = (init_),                                                       \
			.filter = (filter_),                                                   \
			.fini = (fini_),                                                       \
	}

#define FEEDSPOOL_PLUGIN_SYMBOL "feedspool_plugin_descriptor"

#ifdef __cplusplus
}
#endif

#endif

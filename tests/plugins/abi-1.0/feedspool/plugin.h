/* SPDX-License-Identifier: MIT */
/* The plugin ABI header as released at ABI 1.0 (include/feedspool/plugin.h of commit 1b5db56),
 * kept to build tests/plugins/testplug.c as a plugin of that age: a newer host must load it. */
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
 * has. A change that breaks this is a major bump, and the host refuses other majors.
 */
#ifndef FEEDSPOOL_PLUGIN_H
#define FEEDSPOOL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FEEDSPOOL_PLUGIN_ABI_MAJOR 1
#define FEEDSPOOL_PLUGIN_ABI_MINOR 0

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

/* A read-only view of one article (the article model of feedspool(1)). Strings are UTF-8 and
 * NUL-terminated; an absent one is NULL. Dates are seconds since the epoch, INT64_MIN when
 * unknown. */
struct feedspool_article {
	size_t size; /* sizeof the struct the host filled: members past it do not exist */
	const char *id, *url, *guid;
	const char *title, *standfirst, *summary, *body, *language;
	const char *feed_name, *feed_url, *feed_title;
	const struct feedspool_person *authors;
	size_t n_authors;
	const char *const *categories;
	size_t n_categories;
	const struct feedspool_enclosure *enclosures;
	size_t n_enclosures;
	int64_t published, updated, fetched;
};

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
	void *reserved[6];
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

/* SPDX-License-Identifier: MIT */
/* Configuration: the INI file (inih), OPML feed lists, and the resolved settings of every feed.
 * Errors name the file, the line and the key. */
#ifndef FEEDSPOOL_CONFIG_H
#define FEEDSPOOL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "buf.h"
#include "strmap.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/feedspool/feedspool.conf"

enum spool_format { SPOOL_JSON, SPOOL_JSON_TEXT };
enum on_error { ON_ERROR_KEEP, ON_ERROR_DROP };
/* `sink = spool | nats | spool nats`: where articles go (a bit each). */
enum { SINK_SPOOL = 1, SINK_NATS = 2 };

/* Settings a [feed NAME] section may override; [feedspool] holds their defaults. */
struct feed_settings {
	int interval;         /* seconds between polls (default 1800) */
	int jitter;           /* up to this many seconds added at random (default 300) */
	int min_interval;     /* never poll more often, whatever the hints (default 300) */
	int max_backoff;      /* cap of the failure backoff, seconds (default 86400) */
	int connect_timeout;  /* seconds (default 15) */
	int timeout;          /* whole transfer, seconds (default 60) */
	int low_speed_limit;  /* bytes/s below which ... (default 100) */
	int low_speed_time;   /* ... for this many seconds aborts (default 30) */
	size_t max_bytes;     /* body cap, also after decompression (default 16 MiB) */
	char *user_agent;     /* default "feedspool/VERSION (+https://...)" */
	char **headers;       /* extra request headers, "Name: value": a feed's own come after the
			       * defaults, and replace a default header of the same name */
	size_t n_headers;
	int revisions;        /* write changed items again as revisions (default 0) */
	char *allow_private;  /* internal addresses the fetcher may connect to (addr_policy.h
			       * syntax: yes, no, or ADDRESS[:PORT] and CIDR entries; default no) */
	char *fulltext;       /* "no" (default), "yes" or "auto": fetch the linked page's text */
	int catchup;          /* the first successful fetch records the items, writes none (0) */
	/* Credentials and network: NULL when not set. */
	char *username;       /* with it, a user:password@ in the feed URL is not used */
	char *password_file;  /* where password came from (shown by check): a path, ... */
	char *password_credential; /* ... or a systemd credential's name */
	char *password;       /* the secret read from either at load: never shown or written */
	char *proxy;          /* a curl proxy URL, or "none"; NULL: curl's environment variables */
	char *cookie_file;    /* a Netscape cookie file curl reads (never written) */
	char *ca_file, *client_cert, *client_key; /* PEM files for TLS */
	int tls_verify;       /* verify the server's certificate and name (default yes) */
};

struct feed_conf {
	char *name;  /* unique; a-z, 0-9 and single '-'; [feed NAME] or from OPML (its text or title,
		      * made unique) */
	char *url;   /* http(s), or file:// when allow_file */
	char *title; /* `title = TEXT` or the OPML title (else text): informative; NULL */
	char *category; /* `category = TEXT` or the OPML folders it is in (or its category
			 * attribute): what [filter] sections may be scoped to; NULL */
	char *link;  /* `link = URL` or the OPML htmlUrl: the site's page, informative; NULL */
	struct feed_settings s;
	char *file;  /* where it was defined (config file or OPML file: the config's path or one of
		      * its files, shared by the feeds of that file) and the line */
	int line;
};

struct filter_option {
	char *key, *value;
};

struct filter_conf {
	char *name;   /* [filter NAME] */
	char *plugin; /* "topic" (looked up in the plugin directory) or a path to a .so */
	enum on_error on_error;
	uint64_t answer_timeout_ms;    /* a deferred answer's deadline; 0: the default (60 s) */
	struct filter_option *options; /* every other key of the section, in order */
	size_t n_options;
	/* its scope: the feeds it judges, by name (`feeds`) or by category (`categories`), as
	 * fnmatch(3) patterns; both empty: every feed */
	char **feeds, **categories;
	size_t n_feeds, n_categories;
	int feeds_line, categories_line; /* where each was (first) given */
	char *file;
	int line;
};

struct config {
	char *path;        /* as given to config_load */
	char *dir;         /* the absolute directory of path: plugins resolve relative options here */
	char *state;       /* state database path (default /var/lib/feedspool/state.db) */
	char *spool;       /* spool directory (default /var/spool/feedspool) */
	char *plugin_dir;  /* default PKGLIBDIR */
	enum spool_format format; /* default json+text */
	int max_pending;   /* back-pressure: files in new/ before new articles wait (default 10000) */
	int max_per_host;  /* connections (default 2) */
	int max_total;     /* connections (default 32) */
	int lease_time;    /* seconds an instance holds a claimed feed (PostgreSQL; default 120) */
	int retention_days;   /* seen entries kept after their item left the feed (default 90) */
	mode_t umask;         /* for spool files (default 027: files 0640) */
	int allow_file_urls;  /* file:// feed URLs allowed (default no) */
	char *metrics;        /* "no" (default), or ADDRESS:PORT for /metrics and /healthz */
	int near_duplicates;  /* SimHash dedup on (default yes) */
	int sink;             /* SINK_SPOOL (default), SINK_NATS or both */
	/* The NATS JetStream sink (sink_nats.c); shown by check only when sink has nats. */
	char *nats_url;       /* default nats://127.0.0.1:4222 (a comma-separated list) */
	char *nats_stream;    /* created when missing (default FEEDSPOOL) */
	char *nats_subject;   /* where articles are published (default feedspool.articles) */
	int nats_replicas;    /* of a stream created here (default 1) */
	int nats_duplicate_window; /* seconds, of a stream created here (default 1 day) */
	char *nats_creds_file; /* a .creds file (JWT and NKey seed); NULL: none */
	char *nats_token_file; /* `nats_token = FILE`: where the token came from (shown by check) */
	char *nats_token;     /* the token read from it at load: never shown or written */
	int nats_ack_timeout; /* seconds to wait for the server's acknowledgement (default 10) */
	struct feed_settings defaults;
	struct feed_conf *feeds;
	size_t n_feeds;
	struct strmap by_name; /* feed name -> index in feeds, for config_feed */
	char **files;          /* the OPML files feeds come from (their feed_conf.file) */
	size_t n_files;
	struct filter_conf *filters;
	size_t n_filters;
};

/* Loads path. On error returns NULL and puts "FILE:LINE: message" in err (several lines when
 * there are several errors). Relative paths in the file (state, spool, plugin_dir, opml) are taken
 * relative to the directory of the file; filter options are kept as written. */
struct config *config_load(const char *path, struct buf *err);
/* A configuration with the default settings and the feeds of one OPML file (file:// URLs
 * allowed), named as `opml = FILE` names them; NULL with the errors in err. */
struct config *config_from_opml(const char *opml_path, struct buf *err);
void config_free(struct config *c);
/* Prints the resolved settings and feed list (for `feedspool check`). */
void config_print(const struct config *c, FILE *out);
/* The feed named name, or NULL. O(1): a hash of the names. */
const struct feed_conf *config_feed(const struct config *c, const char *name);
/* Appends one line per feed whose URL an earlier feed already has ("FILE:LINE: warning: [feed B]
 * url: the same URL as [feed A] (FILE:LINE); both are fetched"), for `feedspool check`; returns
 * how many. URLs are compared as written (after file: paths are made absolute). O(n). */
size_t config_warnings(const struct config *c, struct buf *out);

/* OPML: writes the feeds as an OPML 2.0 document (title, category and link back as title,
 * folders and htmlUrl); reads an OPML file ("-": the standard input) into [feed] sections text
 * (INI: url, title, category, link) for `opml import`, a feed whose URL an earlier one has left
 * out with a warning naming both in warn. 0 or a negative errno code with a message in err. */
int opml_export(const struct config *c, FILE *out);
int opml_import(const char *opml_path, FILE *out, struct buf *warn, struct buf *err);

#endif

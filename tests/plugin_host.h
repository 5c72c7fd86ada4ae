/* SPDX-License-Identifier: MIT */
/* The test host's side of the plugin ABI shared by the plugin tests (test_exec.c, test_lua.c):
 * what the host saw of each call, the log it kept, and starting an instance from options. */
#ifndef FEEDSPOOL_TEST_PLUGIN_HOST_H
#define FEEDSPOOL_TEST_PLUGIN_HOST_H

#include <feedspool/plugin.h>

#define MAX_LOGS 4096

/* What the host saw of one call. */
struct feedspool_call {
	int id;
	int done;  /* complete() calls: must end at 1 for a PENDING call */
	int order; /* when it was completed, from 1 */
	enum feedspool_verdict verdict;
	char topics[512]; /* "name score matched,matched;" per topic */
	char tags[1024];  /* "tag;" per tag */
};

/* Every message the plugin logged, in order (printed too when VERBOSE is set). */
extern char *logs[MAX_LOGS];
extern int n_logs;

/* The host's log, annotate_topic and annotate_tag callbacks, recording into the above. */
void host_log(const struct feedspool_host *h, enum feedspool_log_level level, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));
int host_topic(struct feedspool_call *call, const char *topic, double score,
	       const char *const *matched, size_t n_matched);
int host_tag(struct feedspool_call *call, const char *tag);

/* How many logged messages contain needle. */
int log_count(const char *needle);
/* Forgets every logged message. */
void reset_logs(void);
const char *verdict_name(enum feedspool_verdict v);
/* Starts an instance of p on host h from key, value, ..., NULL; NULL if init() failed. */
void *plugin_start(const struct feedspool_plugin *p, struct feedspool_host *h, const char *first,
		   ...);
/* The article both tests judge: fixed fields around title. */
struct feedspool_article sample_article(const char *title);
/* Loads plugins/.libs/NAME.so (or from $FEEDSPOOL_PLUGIN_DIR) and returns its descriptor, with
 * config_dir set to the plugin's fixtures (tests/fixtures/NAME or $FIXTURES/NAME); NULL with a
 * message in err when it cannot be loaded or is not that plugin. */
const struct feedspool_plugin *plugin_load(const char *name, char *config_dir, size_t size,
					   char *err, size_t err_size);
/* Unloads what plugin_load() loaded. */
void plugin_unload(void);

#endif

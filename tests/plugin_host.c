/* SPDX-License-Identifier: MIT */
/* The test host's side of the plugin ABI shared by the plugin tests (plugin_host.h). */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_host.h"

char *logs[MAX_LOGS];
int n_logs;
static void *loaded; /* the plugin_load()ed .so */

void host_log(const struct feedspool_host *h, enum feedspool_log_level level, const char *fmt,
	      ...)
{
	char msg[2048];
	va_list ap;

	(void)h;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (getenv("VERBOSE"))
		fprintf(stderr, "  log<%d>: %s\n", (int)level, msg);
	if (n_logs < MAX_LOGS)
		logs[n_logs++] = strdup(msg);
}

int host_topic(struct feedspool_call *call, const char *topic, double score,
	       const char *const *matched, size_t n_matched)
{
	size_t i, len = strlen(call->topics);

	len += (size_t)snprintf(call->topics + len, sizeof(call->topics) - len, "%s %g ", topic,
				score);
	for (i = 0; i < n_matched && len < sizeof(call->topics); i++)
		len += (size_t)snprintf(call->topics + len, sizeof(call->topics) - len, "%s%s",
					i ? "," : "", matched[i]);
	if (len < sizeof(call->topics))
		snprintf(call->topics + len, sizeof(call->topics) - len, ";");
	return 0;
}

int host_tag(struct feedspool_call *call, const char *tag)
{
	size_t len = strlen(call->tags);

	snprintf(call->tags + len, sizeof(call->tags) - len, "%s;", tag);
	return 0;
}

int log_count(const char *needle)
{
	int i, n = 0;

	for (i = 0; i < n_logs; i++)
		n += strstr(logs[i], needle) != NULL;
	return n;
}

void reset_logs(void)
{
	int i;

	for (i = 0; i < n_logs; i++)
		free(logs[i]);
	n_logs = 0;
}

const char *verdict_name(enum feedspool_verdict v)
{
	static const char *const names[] = {"KEEP", "DROP", "ERROR", "PENDING"};

	return (unsigned)v < 4 ? names[v] : "?";
}

void *plugin_start(const struct feedspool_plugin *p, struct feedspool_host *h, const char *first,
		   ...)
{
	struct feedspool_option opts[16];
	size_t n = 0;
	void *state = NULL;
	const char *k;
	va_list ap;

	va_start(ap, first);
	for (k = first; k && n < 16; k = va_arg(ap, const char *)) {
		opts[n].key = k;
		opts[n++].value = va_arg(ap, const char *);
	}
	va_end(ap);
	return p->init(h, opts, n, &state) == 0 ? state : NULL;
}

struct feedspool_article sample_article(const char *title)
{
	static const char *const cats[] = {"gpu", "ai"};
	static const struct feedspool_person authors[] = {{"Ada", "ada@example.org", NULL}};
	struct feedspool_article a = {
	    .size = sizeof(struct feedspool_article),
	    .id = "id-1",
	    .url = "https://example.org/a",
	    .title = title,
	    .summary = "a summary",
	    .body = "<p>a body</p>",
	    .feed_name = "Example feed",
	    .categories = cats,
	    .n_categories = 2,
	    .authors = authors,
	    .n_authors = 1,
	    .published = 1700000000,
	    .updated = INT64_MIN,
	    .fetched = INT64_MIN,
	};
	return a;
}

const struct feedspool_plugin *plugin_load(const char *name, char *config_dir, size_t size,
					   char *err, size_t err_size)
{
	const char *dir = getenv("FEEDSPOOL_PLUGIN_DIR"), *fixtures = getenv("FIXTURES");
	const struct feedspool_plugin *p;
	char path[4096];
	void *so;

	plugin_unload();
	snprintf(config_dir, size, "%s/%s", fixtures ? fixtures : "tests/fixtures", name);
	snprintf(path, sizeof(path), "%s/%s.so", dir ? dir : "plugins/.libs", name);
	if (!(so = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(err, err_size, "dlopen %s: %s", path, dlerror());
		return NULL;
	}
	p = dlsym(so, FEEDSPOOL_PLUGIN_SYMBOL);
	if (!p || p->abi_major != FEEDSPOOL_PLUGIN_ABI_MAJOR || strcmp(p->name, name) != 0) {
		snprintf(err, err_size, "%s does not export the %s descriptor", path, name);
		dlclose(so);
		return NULL;
	}
	loaded = so;
	return p;
}

void plugin_unload(void)
{
	if (loaded)
		dlclose(loaded);
	loaded = NULL;
}

/* SPDX-License-Identifier: MIT */
/* Fuzz target: the topic filter's rules files (plugins/topic/topic.c, feedspool-topic(5)), built
 * into the target and driven through its descriptor as the host drives it; the rules that load
 * then judge an article.
 *
 * Input: the rules file; after a NUL byte, optionally, the article: its title, a line break,
 * its standfirst, a line break, its body (judged only when it is UTF-8, as the host's always
 * is). Invariants checked: a refused rules file is explained in the log; the verdict is keep
 * or drop, or error with a message (a pattern over its match limit); annotations carry a topic name
 * and a finite score; an explanation is one line. */
#include "autoconfig.h"

#define _GNU_SOURCE /* memfd_create(2) */

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <feedspool/plugin.h>

#include "charset.h"
#include "fuzz.h"

extern const struct feedspool_plugin feedspool_plugin_descriptor;

static int logged;

__attribute__((format(printf, 3, 4))) static void
host_log(const struct feedspool_host *host, enum feedspool_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	(void)host;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	(void)level;
	logged++;
}

static int host_annotate_topic(struct feedspool_call *call, const char *topic, double score,
			       const char *const *matched, size_t n_matched)
{
	size_t i;

	(void)call;
	FUZZ_ASSERT(topic && *topic, "a topic without a name");
	FUZZ_ASSERT(isfinite(score), "topic %s: score %g", topic, score);
	for (i = 0; i < n_matched; i++)
		FUZZ_ASSERT(matched[i] != NULL, "topic %s: matched[%zu] is NULL", topic, i);
	return 0;
}

static int host_annotate_tag(struct feedspool_call *call, const char *tag)
{
	(void)call;
	FUZZ_ASSERT(tag != NULL, "a NULL tag");
	return 0;
}

static void host_complete(struct feedspool_call *call, enum feedspool_verdict verdict)
{
	(void)call;
	FUZZ_ASSERT(0, "the topic filter never answers later (verdict %d)", (int)verdict);
}

static int host_explain(struct feedspool_call *call, const char *reason)
{
	(void)call;
	FUZZ_ASSERT(reason && !strchr(reason, '\n'), "an explanation on several lines: %s",
		    reason ? reason : "(null)");
	return 0;
}

static const struct feedspool_host fuzz_host = {
    .size = sizeof(struct feedspool_host),
    .abi_major = FEEDSPOOL_PLUGIN_ABI_MAJOR,
    .abi_minor = FEEDSPOOL_PLUGIN_ABI_MINOR,
    .log = host_log,
    .annotate_topic = host_annotate_topic,
    .annotate_tag = host_annotate_tag,
    .complete = host_complete,
    .name = "fuzz",
    .explain = host_explain,
};

/* The next line of [*p, end) as a new string; *p moves past its line break. */
static char *take_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *stop = nl ? nl : end;
	char *s = strndup(*p, (size_t)(stop - *p));

	*p = nl ? nl + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct feedspool_plugin *d = &feedspool_plugin_descriptor;
	static int fd = -1;
	static char path[40];
	const uint8_t *nul = memchr(data, '\0', size);
	size_t rules_len = nul ? (size_t)(nul - data) : size;
	struct feedspool_option opt[1];
	void *state = NULL;
	int rc;

	if (fd < 0) {
		fd = memfd_create("rules", MFD_CLOEXEC);
		FUZZ_ASSERT(fd >= 0, "memfd_create");
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	FUZZ_ASSERT(ftruncate(fd, 0) == 0, "ftruncate");
	FUZZ_ASSERT(rules_len == 0 || pwrite(fd, data, rules_len, 0) == (ssize_t)rules_len,
		    "pwrite");
	opt[0].key = "rules";
	opt[0].value = path;
	logged = 0;
	rc = d->init(&fuzz_host, opt, 1, &state);
	if (rc < 0) {
		FUZZ_ASSERT(logged > 0, "init failed (%d) without an error in the log", rc);
		return 0;
	}
	if (nul) {
		const char *p = (const char *)nul + 1, *end = (const char *)data + size;
		struct feedspool_article a = {.size = sizeof a};
		enum feedspool_verdict v;
		char *title = take_line(&p, end), *standfirst = take_line(&p, end);
		char *body = strndup(p, (size_t)(end - p));

		FUZZ_ASSERT(title && standfirst && body, "strndup");
		if (utf8_valid(title, strlen(title)) &&
		    utf8_valid(standfirst, strlen(standfirst)) && utf8_valid(body, strlen(body))) {
			a.id = "0123456789abcdef";
			a.title = title;
			a.standfirst = standfirst;
			a.body = body;
			a.feed_name = "fuzz";
			a.published = a.updated = a.fetched = 1700000000;
			logged = 0;
			v = d->filter(state, &a, (struct feedspool_call *)&a);
			FUZZ_ASSERT(v == FEEDSPOOL_KEEP || v == FEEDSPOOL_DROP ||
					(v == FEEDSPOOL_ERROR && logged),
				    "verdict %d (%d messages logged)", (int)v, logged);
		}
		free(title);
		free(standfirst);
		free(body);
	}
	d->fini(state);
	return 0;
}

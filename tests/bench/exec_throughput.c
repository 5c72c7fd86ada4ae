/* SPDX-License-Identifier: MIT */
/* Benchmark (not a test): articles per second through the exec plugin and a trivial co-process.
 *
 * A host of its own loads the built exec.so, keeps max_queue articles in flight (refilling from
 * complete(), as a pipeline would) and times N verdicts. The default co-process is this program
 * run with --child: it reads stdin in 64 KiB chunks and answers each newline with a fixed
 * {"verdict":"keep"} line, one write per chunk. Any other co-process can be given as COMMAND.
 *
 * Build and run (from the top of the tree, after `make`):
 *   cc -O2 -Iinclude tests/bench/exec_throughput.c -o /tmp/exec_throughput \
 *      $(pkg-config --cflags --libs libuv) -ldl
 *   /tmp/exec_throughput build/plugins/.libs/exec.so [N [BODY_BYTES [COMMAND]]]
 *   e.g. COMMAND = "/usr/bin/awk '{print \"{\\\"verdict\\\":\\\"keep\\\"}\"; fflush()}'"
 * Prints the time and the articles per second.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include <feedspool/plugin.h>

struct feedspool_call {
	int unused;
};

static uv_loop_t loop;
static const struct feedspool_plugin *plugin;
static void *state;
static struct feedspool_call the_call;
static struct feedspool_article art;
static long total, issued, kept, errors;
static double t0, t1;
static bool done;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int child(void)
{
	static const char verdict[] = "{\"verdict\":\"keep\"}\n";
	static char in[65536], out[65536 / 2 * (sizeof(verdict) - 1)];
	ssize_t n, i;

	for (;;) {
		size_t lines = 0, len;

		n = read(0, in, sizeof(in));
		if (n <= 0)
			return 0;
		for (i = 0; i < n; i++)
			lines += in[i] == '\n';
		for (len = 0; lines; lines--, len += sizeof(verdict) - 1)
			memcpy(out + len, verdict, sizeof(verdict) - 1);
		if (len && write(1, out, len) != (ssize_t)len)
			return 1;
	}
}

static void host_log(const struct feedspool_host *h, enum feedspool_log_level level,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void host_log(const struct feedspool_host *h, enum feedspool_log_level level,
		     const char *fmt, ...)
{
	va_list ap;

	if (level > FEEDSPOOL_LOG_INFO)
		return;
	va_start(ap, fmt);
	fputs("exec: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int host_topic(struct feedspool_call *call, const char *topic, double score,
		      const char *const *matched, size_t n_matched)
{
	return 0;
}

static int host_tag(struct feedspool_call *call, const char *tag)
{
	return 0;
}

/* The article's spool JSON, made once: the real host writes it per call with the spool's
 * writer (see src/parse/article.c and its benchmark), so this measures the plugin and the pipe. */
static char *art_json;
static size_t art_json_len;

static const char *host_article_json(struct feedspool_call *call, size_t *len)
{
	(void)call;
	if (len)
		*len = art_json_len;
	return art_json;
}

/* The body as a JSON string's content: its only special characters are '"' and '\n'. */
static char *json_body(const char *body)
{
	size_t i, o = 0, n = strlen(body);
	char *out = malloc(2 * n + 1);

	for (i = 0; out && i < n; i++) {
		if (body[i] == '"' || body[i] == '\n')
			out[o++] = '\\';
		out[o++] = body[i] == '\n' ? 'n' : body[i];
	}
	if (out)
		out[o] = '\0';
	return out;
}

static void issue(void);

static void host_complete(struct feedspool_call *call, enum feedspool_verdict verdict)
{
	if (verdict == FEEDSPOOL_KEEP)
		kept++;
	else
		errors++;
	if (kept + errors == total) {
		t1 = now();
		done = true;
		return;
	}
	if (issued < total)
		issue();
}

static void issue(void)
{
	enum feedspool_verdict v;

	issued++;
	v = plugin->filter(state, &art, &the_call);
	if (v != FEEDSPOOL_PENDING)
		host_complete(&the_call, v);
}

static void on_start(uv_timer_t *t)
{
	int i;

	t0 = now();
	for (i = 0; i < 1000 && issued < total; i++)
		issue();
}

static void on_close(uv_handle_t *h)
{
}

static double cpu(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	static const char *const cats[] = {"AI", "Hardware", "NVIDIA"};
	static const struct feedspool_person authors[] = {{"A. Writer", NULL, NULL}};
	struct feedspool_host host = {
	    .size = sizeof(host),
	    .abi_major = FEEDSPOOL_PLUGIN_ABI_MAJOR,
	    .abi_minor = FEEDSPOOL_PLUGIN_ABI_MINOR,
	    .log = host_log,
	    .annotate_topic = host_topic,
	    .annotate_tag = host_tag,
	    .complete = host_complete,
	    .config_dir = ".",
	    .loop = &loop,
	    .article_json = host_article_json,
	};
	struct rusage self_ru, child_ru;
	struct feedspool_option opts[2];
	char self[4096], command[4200], *body;
	size_t body_len, i;
	uv_timer_t start;
	ssize_t n;
	void *so;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();
	if (argc < 2) {
		fprintf(stderr, "usage: %s EXEC_SO [N [BODY_BYTES [COMMAND]]]\n", argv[0]);
		return 2;
	}
	total = argc > 2 ? atol(argv[2]) : 200000;
	body_len = argc > 3 ? (size_t)atol(argv[3]) : 2000;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return 1;
	self[n] = '\0';
	snprintf(command, sizeof(command), "'%s' --child", self);
	body = malloc(body_len + 1);
	for (i = 0; i < body_len; i++)
		body[i] =
		    "lorem ipsum dolor sit amet, <p>consectetur</p> \"adipiscing\" elit\n"[i % 64];
	body[body_len] = '\0';
	art = (struct feedspool_article){
	    .size = sizeof(art),
	    .id = "0123456789abcdef0123456789abcdef",
	    .url = "https://example.org/2025/10/15/nvidia-dgx-spark-arrives",
	    .guid = "https://example.org/?p=123456",
	    .title = "NVIDIA DGX Spark arrives: a petaflop on the desk, tested",
	    .summary =
		"The smallest AI supercomputer ships with a GB10 Grace Blackwell chip and 128 "
		"GB of unified memory; we ran local models on it for a week.",
	    .body = body,
	    .language = "en",
	    .feed_name = "Example Tech",
	    .feed_url = "https://example.org/feed/",
	    .categories = cats,
	    .n_categories = 3,
	    .authors = authors,
	    .n_authors = 1,
	    .published = 1760000000,
	    .updated = INT64_MIN,
	    .fetched = 1760000100,
	};

	{
		char *jb = json_body(body);
		const char *fmt =
		    "{\"schema\":1,\"id\":\"0123456789abcdef\",\"feed\":{\"name\":\"Example "
		    "Tech\",\"url\":\"https://example.org/feed/\",\"title\":null,\"link\":null,"
		    "\"language\":null,\"subtitle\":null,\"updated\":null,\"authors\":[]},\"url\":"
		    "\"%s\",\"guid\":\"%s\",\"title\":\"%s\",\"standfirst\":null,\"authors\":[{"
		    "\"name\":\"A. Writer\",\"email\":null,\"uri\":null}],\"published\":"
		    "\"2025-10-09T08:53:20Z\",\"updated\":null,\"fetched\":\"2025-10-09T08:55:00Z\","
		    "\"language\":\"en\",\"categories\":[\"AI\",\"Hardware\",\"NVIDIA\"],"
		    "\"summary\":\"%s\",\"body\":\"%s\",\"links\":[],\"enclosures\":[],"
		    "\"topics\":[],\"tags\":[]}";
		int len = jb ? snprintf(NULL, 0, fmt, art.url, art.guid, art.title, art.summary, jb)
			     : -1;

		if (len < 0 || !(art_json = malloc((size_t)len + 1)))
			return 1;
		snprintf(art_json, (size_t)len + 1, fmt, art.url, art.guid, art.title, art.summary,
			 jb);
		art_json_len = (size_t)len;
		free(jb);
	}
	so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!so || !(plugin = dlsym(so, FEEDSPOOL_PLUGIN_SYMBOL))) {
		fprintf(stderr, "%s: %s\n", argv[1], dlerror());
		return 1;
	}
	uv_loop_init(&loop);
	opts[0] = (struct feedspool_option){"command", argc > 4 ? argv[4] : command};
	opts[1] = (struct feedspool_option){"max_queue", "1000"};
	if (plugin->init(&host, opts, 2, &state) < 0)
		return 1;
	uv_timer_init(&loop, &start);
	uv_timer_start(&start, on_start, 0, 0);
	while (!done)
		uv_run(&loop, UV_RUN_ONCE);
	plugin->fini(state);
	uv_close((uv_handle_t *)&start, on_close);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		fprintf(stderr, "handles left open\n");
	getrusage(RUSAGE_SELF, &self_ru);
	getrusage(RUSAGE_CHILDREN, &child_ru);
	printf("%ld articles (%zu-byte body) in %.3f s: %.0f articles/s; %ld kept, %ld errors; "
	       "CPU: host %.2f s, co-process %.2f s\n",
	       total, body_len, t1 - t0, (double)total / (t1 - t0), kept, errors, cpu(&self_ru),
	       cpu(&child_ru));
	free(body);
	return errors ? 1 : 0;
}

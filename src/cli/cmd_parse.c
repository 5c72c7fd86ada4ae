/* SPDX-License-Identifier: MIT */
/* `feedspool parse`: feed documents -> articles as JSON Lines, documents, or text renderings. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "feed.h"
#include "log.h"

enum out_format { OUT_LINES, OUT_DOCUMENT, OUT_TEXT };

struct parse_run {
	enum out_format format;
	json_t *articles; /* OUT_DOCUMENT: the articles of the current input */
	size_t printed;
	/* the feed object every line repeats, rebuilt only when the feed's fields change */
	struct buf feed;
	int has_feed;
	const struct feed_info *feed_of;
	unsigned feed_generation;
	struct buf line; /* OUT_LINES: the lines not written yet */
	size_t flush_at; /* written once line holds this many bytes */
};

static void usage(FILE *f)
{
	fputs("Usage: feedspool parse [OPTION]... FILE...\n"
	      "Parse RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed documents and print their\n"
	      "articles in the spool schema, one JSON object per line (with the body's sanitized\n"
	      "HTML as content_html, its inline links and images). FILE - reads stdin.\n"
	      "\n"
	      "  -d, --document           print one JSON object per input instead:\n"
	      "                           {\"feed\": {...}, \"articles\": [...]}\n"
	      "  -t, --text               print each article's text rendering (title, standfirst,\n"
	      "                           blank line, body), articles separated by a form feed line\n"
	      "  -u, --url URL            the documents' address: base of relative links and part\n"
	      "                           of article ids\n"
	      "  -c, --content-type TYPE  the HTTP Content-Type the documents were served with\n"
	      "                           (its charset overrides the XML declaration)\n"
	      "      --max-size BYTES     refuse documents larger than BYTES (default 256 MiB)\n"
	      "  -v, --verbose            also report recoverable problems\n"
	      "  -h, --help               show this help and exit\n"
	      "\n"
	      "Exit status: 0 every input parsed, 1 some input failed (each failure on stderr,\n"
	      "with the articles recovered before it still printed), 2 usage error.\n",
	      f);
}

static int print_json(json_t *o)
{
	int rc;

	if (!o)
		return -ENOMEM;
	rc = json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
	return rc;
}

/* The feed object's JSON text, rebuilt only when the feed's fields changed. */
static const char *feed_json(struct parse_run *r, const struct feed_info *f)
{
	if (!r->has_feed || r->feed_of != f || r->feed_generation != f->generation) {
		buf_reset(&r->feed);
		r->has_feed = feed_info_write_json(f, &r->feed) == 0;
		r->feed_of = f;
		r->feed_generation = f->generation;
	}
	return r->has_feed ? buf_cstr(&r->feed) : NULL;
}

/* JSON lines are gathered and written this many bytes at a time (and at the end of each input):
 * one fwrite per article cost 500 instructions. A terminal gets each line as it is made, as
 * stdio's line buffering gave it. */
#define LINES_FLUSH (64 * 1024)

/* Writes the lines gathered so far; 0, or -1 when stdout refused them. */
static int flush_lines(struct parse_run *r)
{
	size_t n = r->line.len;

	if (n && fwrite(r->line.data, 1, n, stdout) != n)
		return -1;
	buf_reset(&r->line);
	return 0;
}

static int on_article(void *ud, struct article *a, const struct feed_info *f)
{
	struct parse_run *r = ud;
	size_t len0;

	r->printed++;
	switch (r->format) {
	case OUT_LINES:
		len0 = r->line.len;
		if (article_write_json(a, feed_json(r, f), &r->line) < 0 ||
		    buf_putc(&r->line, '\n') < 0) {
			r->line.len = len0;
			if (r->line.cap)
				r->line.data[len0] = '\0';
			return -1;
		}
		return r->line.len >= r->flush_at ? flush_lines(r) : 0;
	case OUT_DOCUMENT:
		json_array_append_new(r->articles, article_to_json(a, NULL));
		return 0;
	case OUT_TEXT: {
		struct buf t = BUF_INIT;

		if (r->printed > 1)
			fputs("\f\n", stdout);
		article_render_text(a, &t);
		fwrite(t.data, 1, t.len, stdout);
		buf_fini(&t);
		return 0;
	}
	}
	return 0;
}

/* Parses one input; 0 when it was a well-formed feed, -1 when it failed. */
static int parse_one(const char *path, const struct feed_parser_opts *base, struct parse_run *r,
		     int verbose)
{
	struct feed_parser_opts o = *base;
	struct feed_parser *p;
	const char *name = strcmp(path, "-") ? path : "(stdin)";
	const char *msg;
	long line;
	int fd, rc;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!o.name)
		o.name = feed_name_of_path(path);
	p = feed_parser_new(&o, on_article, r);
	if (!p) {
		log_err("%s: out of memory", name);
		if (fd)
			close(fd);
		return -1;
	}
	if (r->format == OUT_DOCUMENT)
		r->articles = json_array();
	rc = feed_parser_read_fd(p, fd, name);
	if (fd)
		close(fd);
	flush_lines(r); /* a failure shows in ferror(stdout) at the end */
	if (verbose && feed_parser_warnings(p) && (msg = feed_parser_first_warning(p, &line))) {
		char at[32] = "";

		if (line > 0)
			snprintf(at, sizeof at, ":%ld", line);
		log_warnx("%s%s: warning: %s (%zu warning%s)", name, at, msg, feed_parser_warnings(p),
			  feed_parser_warnings(p) == 1 ? "" : "s");
	}
	if (r->format == OUT_DOCUMENT) {
		json_t *doc = json_pack("{s:o,s:o}", "feed", feed_info_to_json(feed_parser_info(p)),
					"articles", r->articles);

		r->articles = NULL;
		print_json(doc);
	}
	r->has_feed = 0;
	feed_parser_free(p);
	return rc < 0 ? -1 : 0;
}

int cmd_parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"document", no_argument, NULL, 'd'},
		{"text", no_argument, NULL, 't'},
		{"url", required_argument, NULL, 'u'},
		{"content-type", required_argument, NULL, 'c'},
		{"max-size", required_argument, NULL, 'M'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct feed_parser_opts o = {0};
	struct parse_run r = {0};
	int c, i, failed = 0, verbose = 0;
	char *end;

	r.format = OUT_LINES;
	r.flush_at = isatty(STDOUT_FILENO) ? 1 : LINES_FLUSH;
	/* Documents one after the other grow and shrink the heap by the same few hundred KB each:
	 * 4 MB of slack kept at its top (instead of glibc's 128 KB) spares the page faults of
	 * growing it again (about 1,550 -> 1,215 over the real-feeds corpus, 135 documents). */
	mallopt(M_TOP_PAD, 4 << 20);
	while ((c = getopt_long(argc, argv, "+dtu:c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			r.format = OUT_DOCUMENT;
			break;
		case 't':
			r.format = OUT_TEXT;
			break;
		case 'u':
			o.url = optarg;
			break;
		case 'c':
			o.content_type = optarg;
			break;
		case 'M':
			errno = 0;
			o.max_bytes = strtoull(optarg, &end, 10);
			if (errno || *end || !o.max_bytes) {
				log_err("parse: --max-size wants a positive number of bytes, not '%s'",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_err("parse: no input files (use - for stdin)");
		usage(stderr);
		return EXIT_USAGE;
	}
	o.fetched = (int64_t)time(NULL);
	for (i = optind; i < argc; i++)
		if (parse_one(argv[i], &o, &r, verbose) < 0)
			failed = 1;
	buf_fini(&r.line);
	buf_fini(&r.feed);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_err("parse: writing the output failed");
		return EXIT_INPUT;
	}
	return failed ? EXIT_INPUT : 0;
}

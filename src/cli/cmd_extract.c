/* SPDX-License-Identifier: MIT */
/* `feedspool extract`: web pages -> their main article (title and text, or the chosen HTML). */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "extract.h"
#include "log.h"

#define OUT_HTML 1
#define OUT_TIME 2

static void usage(FILE *f)
{
	fputs("Usage: feedspool extract [OPTION]... FILE...\n"
	      "Find the main article of each web page FILE (as the full-text fetch does) and\n"
	      "print its text rendering: the title line, a blank line, then one line per block.\n"
	      "Pages are separated by a form feed line. FILE - reads stdin. Pages larger than\n"
	      "2 MiB are read up to that size.\n"
	      "\n"
	      "  -u, --url URL          the page's address (base of its relative links)\n"
	      "  -c, --charset NAME     the charset the page was served with (overrides the\n"
	      "                         one the page declares)\n"
	      "      --html             print the chosen HTML instead of the text\n"
	      "      --time             report each page's extraction time on stderr\n"
	      "  -h, --help             show this help and exit\n"
	      "\n"
	      "Exit status: 0 every page read, 1 some page could not be read (on stderr),\n"
	      "2 usage error. A page without article text prints its title only.\n",
	      f);
}

/* Reads at most EXTRACT_INPUT_MAX bytes of path ("-": stdin). */
static int slurp(const char *path, struct buf *b)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0, rc;

	if (fd < 0)
		return -errno;
	rc = buf_read_fd(b, fd, EXTRACT_INPUT_MAX);
	if (fd)
		close(fd);
	return rc == -EFBIG ? 0 : rc;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int one(const char *path, const char *url, const char *charset, int flags, struct extract *x)
{
	struct buf page = BUF_INIT;
	int rc = slurp(path, &page);
	double t0;

	if (rc) {
		log_err("%s: %s", path, strerror(-rc));
		goto out;
	}
	t0 = now_ms();
	rc = extract_page(page.data ? page.data : "", page.len, url, charset, x);
	if (flags & OUT_TIME)
		fprintf(stderr, "%s: %.3f ms\n", path, now_ms() - t0);
	if (rc) {
		log_err("%s: %s", path, strerror(-rc));
		goto out;
	}
	if (flags & OUT_HTML) {
		fwrite(x->html.data ? x->html.data : "", 1, x->html.len, stdout);
	} else {
		printf("%s\n\n", buf_cstr(&x->title));
		if (x->text.len)
			printf("%s\n", buf_cstr(&x->text));
	}
out:
	buf_fini(&page);
	return rc;
}

int cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'}, {"charset", required_argument, NULL, 'c'},
	    {"html", no_argument, NULL, 'H'},	   {"time", no_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	const char *url = NULL, *charset = NULL;
	struct extract x;
	int c, flags = 0, failed = 0, i;

	while ((c = getopt_long(argc, argv, "u:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			url = optarg;
			break;
		case 'c':
			charset = optarg;
			break;
		case 'H':
			flags |= OUT_HTML;
			break;
		case 'T':
			flags |= OUT_TIME;
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
		usage(stderr);
		return EXIT_USAGE;
	}
	extract_init(&x);
	for (i = optind; i < argc; i++) {
		if (i > optind)
			fputs("\f\n", stdout);
		if (one(argv[i], url, charset, flags, &x))
			failed = 1;
	}
	extract_fini(&x);
	return failed ? EXIT_INPUT : 0;
}

/* SPDX-License-Identifier: MIT */
/* Replays inputs through one fuzz target without libFuzzer, with the tree's own compiler: the
 * seed corpus and every input that once crashed or hung (tests/fuzz/regress/TARGET) run in
 * `make check`, under ASan and UBSan in an ASan build. With no arguments it replays
 * $top_srcdir/tests/fuzz/corpus/TARGET and regress/TARGET; else the files and directories given.
 * An input that takes longer than FUZZ_REPLAY_SECONDS (default 20) is a hang and fails the run. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET (the target's name) must be defined"
#endif

static char current[4096];
static size_t current_len;

static void on_alarm(int sig)
{
	static const char msg[] = "replay: " FUZZ_TARGET ": input takes too long (a hang): ";
	ssize_t w;

	(void)sig;
	w = write(2, msg, sizeof msg - 1);
	w = write(2, current, current_len);
	w = write(2, "\n", 1);
	(void)w;
	_exit(1);
}

/* Runs one file through the target; 0, or -1 when it cannot be read. */
static int run_file(const char *path, unsigned seconds)
{
	struct stat st;
	uint8_t *data;
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* exactly the input's size, so that ASan sees a read past its end */
	data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!data) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		close(fd);
		return -1;
	}
	while (off < (size_t)st.st_size && (n = read(fd, data + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	if (off != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(data);
		return -1;
	}
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, off);
	current_len = (size_t)snprintf(current, sizeof current, "%s", path);
	if (current_len >= sizeof current)
		current_len = sizeof current - 1;
	alarm(seconds);
	LLVMFuzzerTestOneInput(data, off);
	alarm(0);
	free(data);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Runs a file, or every file of a directory in name order; the count, or -1. */
static long run_path(const char *path, unsigned seconds)
{
	struct dirent **list;
	struct stat st;
	long count = 0;
	int i, n;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, seconds) < 0 ? -1 : 1;
	n = scandir(path, &list, skip_dot, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char file[4096];

		snprintf(file, sizeof file, "%s/%s", path, list[i]->d_name);
		if (count >= 0 && stat(file, &st) == 0 && S_ISREG(st.st_mode))
			count = run_file(file, seconds) < 0 ? -1 : count + 1;
		free(list[i]);
	}
	free(list);
	return count;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir"), *s = getenv("FUZZ_REPLAY_SECONDS");
	unsigned seconds = s && atoi(s) > 0 ? (unsigned)atoi(s) : 20;
	char corpus[4096], regress[4096];
	long n, total = 0;
	struct stat st;
	int i;

	signal(SIGALRM, on_alarm);
	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			if ((n = run_path(argv[i], seconds)) < 0)
				return 1;
			total += n;
		}
		printf("replay: %s: %ld inputs, no finding\n", FUZZ_TARGET, total);
		return 0;
	}
	if (!top || !*top)
		top = ".";
	snprintf(corpus, sizeof corpus, "%s/tests/fuzz/corpus/%s", top, FUZZ_TARGET);
	snprintf(regress, sizeof regress, "%s/tests/fuzz/regress/%s", top, FUZZ_TARGET);
	n = run_path(corpus, seconds);
	if (n <= 0) {
		fprintf(stderr, "replay: %s: the seed corpus %s is missing or empty\n", FUZZ_TARGET,
			corpus);
		return 1;
	}
	total = n;
	n = 0;
	if (stat(regress, &st) == 0 && (n = run_path(regress, seconds)) < 0)
		return 1;
	printf("replay: %s: %ld seed inputs and %ld regression inputs, no finding\n", FUZZ_TARGET,
	       total, n);
	return 0;
}

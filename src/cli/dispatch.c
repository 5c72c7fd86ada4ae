/* SPDX-License-Identifier: MIT */
/* feedspool, the program users run: it loads no library but the C library, answers --help and
 * --version, and becomes (execv: same process id, so systemd's MAINPID, same arguments and
 * standard input) the program that runs the command:
 * - feedspool-parse (parse_main.c) for parse and date, the commands that only read documents,
 *   linked with just what they use: libxml2, libcurl's URL functions, Jansson, xxHash, utf8proc;
 * - feedspool-core (main.c) for every other command, with the daemon's libraries too (libuv,
 *   SQLite, libpq, libnats, libmicrohttpd, Lua, PCRE2, inih, libsystemd).
 * Loading those costs every start: `feedspool parse /dev/null` takes 4.1 ms this way against
 * 4.6 ms with one program linked with everything; other commands 0.7 ms more than that. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "commands.h"
#include "log.h"

/* Writes root[0..root_len) + dir + "/" + name into out (PATH_MAX); 0, or -1 when it does not
 * fit. */
static int path_of(char *out, const char *root, size_t root_len, const char *dir, const char *name)
{
	int w = snprintf(out, PATH_MAX, "%.*s%s/%s", (int)root_len, root, dir, name);

	return w < 0 || w >= PATH_MAX ? -1 : 0;
}

/* Where the program name is, into out (PATH_MAX): next to this program (the build tree), then
 * where `make install` put it relative to this program (bindir's place under a DESTDIR or a
 * copied tree: ROOT/usr/bin/feedspool finds ROOT/usr/libexec/feedspool/NAME), then in the
 * configured pkglibexecdir: the last one when none is executable (for the message). */
static void program_path(const char *name, char *out)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	size_t dir_len, bin_len = strlen(BINDIR);

	if (n > 0) {
		self[n] = '\0';
		dir_len = (size_t)(strrchr(self, '/') - self);
		if (!path_of(out, self, dir_len, "", name) && access(out, X_OK) == 0)
			return;
		/* self's directory is ROOT + BINDIR: try ROOT + PKGLIBEXECDIR */
		if (dir_len >= bin_len && !memcmp(self + dir_len - bin_len, BINDIR, bin_len) &&
		    !path_of(out, self, dir_len - bin_len, PKGLIBEXECDIR, name) && access(out, X_OK) == 0)
			return;
	}
	path_of(out, "", 0, PKGLIBEXECDIR, name);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	const char *name;
	int rc;

	log_init("feedspool");
	if ((rc = commands_answer(argc, argv)) >= 0)
		return rc;
	if (!(name = command_program(argv[1]))) {
		log_err("unknown command '%s' (see 'feedspool --help')", argv[1]);
		return EXIT_USAGE;
	}
	program_path(name, path);
	execv(path, argv);
	rc = errno;
	log_err("%s: cannot run %s, which runs this command: %s (is feedspool installed whole?)",
		argv[1], path, strerror(rc));
	return rc == ENOENT ? 127 : 126;
}

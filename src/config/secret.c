/* SPDX-License-Identifier: MIT */
/* Secrets the configuration names: password files and systemd credentials, checked and read. */
#include "autoconfig.h"

#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Whether st may hold a secret: see secret_read_file. */
static int check_file(const char *path, const struct stat *st, char *why, size_t n)
{
	uid_t me = geteuid();

	if (!S_ISREG(st->st_mode)) {
		snprintf(why, n, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (me != 0 && st->st_uid != me && st->st_uid != 0) {
		snprintf(why, n, "%s: owned by uid %lu, not by uid %lu (feedspool's user) or root",
			 path, (unsigned long)st->st_uid, (unsigned long)me);
		return -EPERM;
	}
	if (st->st_mode & 0037) {
		snprintf(why, n,
			 "%s: mode %04o lets %s (use chmod 0600 or 0640)", path,
			 (unsigned)(st->st_mode & 07777),
			 st->st_mode & 007 ? "other users read or write it" : "its group write it");
		return -EPERM;
	}
	return 0;
}

/* Reads all of fd (at most SECRET_MAX bytes plus one line end) into a new string. */
static int read_all(int fd, const char *path, char **out, char *why, size_t n)
{
	char *b = malloc(SECRET_MAX + 3);
	size_t len = 0;
	ssize_t r;

	if (!b)
		return -ENOMEM;
	while (len < SECRET_MAX + 2 && (r = read(fd, b + len, SECRET_MAX + 2 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, n, "%s: %s", path, strerror(errno));
			explicit_bzero(b, SECRET_MAX + 3);
			free(b);
			return -EIO;
		}
		len += (size_t)r;
	}
	b[len] = '\0';
	if (len && b[len - 1] == '\n')
		b[--len] = '\0';
	if (len && b[len - 1] == '\r')
		b[--len] = '\0';
	if (!len || len > SECRET_MAX || strlen(b) != len || strpbrk(b, "\r\n")) {
		snprintf(why, n, "%s: %s", path,
			 !len		      ? "empty"
			 : len > SECRET_MAX   ? "longer than 4096 bytes"
					      : "holds a NUL or a line break (one line expected)");
		explicit_bzero(b, SECRET_MAX + 3);
		free(b);
		return -EINVAL;
	}
	*out = b;
	return 0;
}

int secret_read_file(const char *path, char **out, char *why, size_t n)
{
	struct stat st;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, n, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, n, "%s: %s", path, strerror(errno));
		rc = -errno;
	} else if ((rc = check_file(path, &st, why, n)) == 0) {
		rc = read_all(fd, path, out, why, n);
	}
	close(fd);
	return rc;
}

int secret_read_credential(const char *name, char **out, char *why, size_t n)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[4096];

	*out = NULL;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		snprintf(why, n, "\"%.100s\" is not a credential name (a file name, no '/')", name);
		return -EINVAL;
	}
	if (!dir || !*dir) {
		snprintf(why, n,
			 "credential %.100s: $CREDENTIALS_DIRECTORY is not set (give the unit "
			 "LoadCredential=%.100s:PATH, or use password_file)",
			 name, name);
		return -ENOENT;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
		snprintf(why, n, "credential %.100s: path too long", name);
		return -ENAMETOOLONG;
	}
	return secret_read_file(path, out, why, n);
}

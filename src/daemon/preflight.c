/* SPDX-License-Identifier: MIT */
/* Checks made before a start: the state database and the spool, looked at without creating or
 * changing anything (stat, access, and the first bytes of the database). */
#include "autoconfig.h"

#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "store_pg.h"

/* The first 16 bytes of every SQLite database file. */
static const char sqlite_magic[16] = "SQLite format 3";

__attribute__((format(printf, 4, 5))) static void problem(struct buf *err, const char *what,
							  const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (err->len && err->data[err->len - 1] != '\n')
		buf_putc(err, '\n');
	buf_printf(err, "%s %s: %s", what, path, msg);
}

/* 0 when st belongs to us; otherwise says whose it is. */
static int owned(const struct stat *st, const char *what, const char *path, struct buf *err)
{
	uid_t me = geteuid();

	if (st->st_uid == me)
		return 0;
	problem(err, what, path,
		"owned by uid %lu, not by uid %lu that feedspool runs as: refused (chown it to uid "
		"%lu, or run feedspool as uid %lu)",
		(unsigned long)st->st_uid, (unsigned long)me, (unsigned long)me,
		(unsigned long)st->st_uid);
	return -1;
}

static int usable(const char *path, int mode, const char *what, struct buf *err)
{
	if (faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0)
		return 0;
	problem(err, what, path, "%s: %s", mode & W_OK ? "not writable" : "not readable",
		strerror(errno));
	return -1;
}

/* A path that does not exist yet: its nearest existing ancestor must be a directory we may
 * create entries in (the daemon creates the missing ones). */
static int creatable(const char *path, const char *what, struct buf *err)
{
	char *p = strdup(path), *slash;
	struct stat st;
	int rc = -1;

	if (!p) {
		problem(err, what, path, "out of memory");
		return -1;
	}
	for (;;) {
		slash = strrchr(p, '/');
		if (!slash)
			strcpy(p, ".");
		else if (slash == p)
			p[1] = '\0';
		else
			*slash = '\0';
		if (stat(p, &st) == 0)
			break;
		if ((errno != ENOENT && errno != ENOTDIR) || !strcmp(p, ".") || !strcmp(p, "/")) {
			problem(err, what, path, "cannot be created: %s: %s", p, strerror(errno));
			goto out;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(err, what, path, "cannot be created: %s is not a directory", p);
		goto out;
	}
	if (faccessat(AT_FDCWD, p, W_OK | X_OK, AT_EACCESS) != 0) {
		problem(err, what, path, "cannot be created in %s: %s", p, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The database, or a file that is not one: the header tells (an empty file is a database SQLite
 * has not written yet). Its schema version (user_version, at offset 60) and schema cookie
 * (offset 40) are only up to date when no write-ahead log holds newer pages: they are looked at
 * when there is none. */
static int sqlite_file(const char *path, int has_wal, struct buf *err)
{
	unsigned char head[100];
	uint32_t version;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		problem(err, "state", path, "cannot open: %s", strerror(errno));
		return -1;
	}
	n = read(fd, head, sizeof head);
	close(fd);
	if (n < 0) {
		problem(err, "state", path, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	if (n < (ssize_t)sizeof head || memcmp(head, sqlite_magic, sizeof sqlite_magic) != 0) {
		problem(err, "state", path, "not a SQLite database (is `state` the right path?)");
		return -1;
	}
	if (has_wal)
		return 0;
	version = be32(head + 60);
	if (version > STATE_SCHEMA_VERSION) {
		problem(err, "state", path,
			"state schema version %lu is newer than this feedspool knows (%d)",
			(unsigned long)version, STATE_SCHEMA_VERSION);
		return -1;
	}
	if (version == 0 && be32(head + 40) != 0) {
		problem(err, "state", path,
			"not a feedspool state database (it has tables, but no schema version)");
		return -1;
	}
	return 0;
}

/* The database's -wal and -shm, which SQLite creates beside it (and would follow if they were
 * links): looked at whether the database exists or not. */
static int check_sidecars(const char *path, int *has_wal, struct buf *err)
{
	static const char *const sidecars[] = {"-wal", "-shm"};
	struct buf side = BUF_INIT;
	struct stat st;
	size_t i;
	int rc = 0;

	for (i = 0; i < 2; i++) {
		buf_reset(&side);
		buf_printf(&side, "%s%s", path, sidecars[i]);
		if (lstat(buf_cstr(&side), &st) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			problem(
			    err, "state", buf_cstr(&side),
			    "a symbolic link; refusing (remove it; SQLite creates it beside the "
			    "database)");
			rc = -1;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			problem(err, "state", buf_cstr(&side), "not a regular file; refusing");
			rc = -1;
			continue;
		}
		if (i == 0 && st.st_size > 0)
			*has_wal = 1;
		if (owned(&st, "state", buf_cstr(&side), err) < 0 ||
		    usable(buf_cstr(&side), R_OK | W_OK, "state", err) < 0)
			rc = -1;
	}
	buf_fini(&side);
	return rc;
}

/* A database that exists and is not empty must pass SQLite's quick_check. */
static int check_integrity(const char *path, const char *config, struct buf *err)
{
	struct buf why = BUF_INIT;
	int rc = state_verify(path, &why);

	if (rc == -EIO)
		problem(err, "state", path,
			"corrupt (%s); move it aside and rebuild the seen set from the spool: "
			"feedspool state rebuild -c %s",
			buf_cstr(&why), config);
	else if (rc < 0)
		problem(err, "state", path, "cannot check it: %s", buf_cstr(&why));
	buf_fini(&why);
	return rc < 0 ? -1 : 0;
}

static int check_state(const char *path, const char *config, struct buf *err)
{
	struct stat st;
	char *dir, *slash;
	int rc = 0, has_wal = 0;

	if (check_sidecars(path, &has_wal, err) < 0)
		rc = -1;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		problem(err, "state", path,
			"a symbolic link; refusing (set `state` to the file it points to)");
		return -1;
	}
	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return creatable(path, "state", err) < 0 ? -1 : rc;
		problem(err, "state", path, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		problem(err, "state", path, "not a regular file");
		return -1;
	}
	if (owned(&st, "state", path, err) < 0 || usable(path, R_OK | W_OK, "state", err) < 0)
		return -1;
	if (rc < 0)
		return -1;
	if (sqlite_file(path, has_wal, err) < 0)
		return -1;
	if ((st.st_size > 0 || has_wal) && check_integrity(path, config, err) < 0)
		return -1;
	if (!(dir = strdup(path))) {
		problem(err, "state", path, "out of memory");
		return -1;
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
		problem(err, "state", path,
			"its directory %s is not writable (SQLite keeps its "
			"write-ahead log there): %s",
			dir, strerror(errno));
		rc = -1;
	}
	free(dir);
	return rc;
}

static int check_spool(const char *dir, struct buf *err)
{
	static const char *const subs[] = {"tmp", "new", "cur"};
	struct buf sub = BUF_INIT;
	struct stat st;
	size_t i;
	int rc = 0;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return creatable(dir, "spool", err);
		problem(err, "spool", dir, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(err, "spool", dir, "not a directory");
		return -1;
	}
	if (owned(&st, "spool", dir, err) < 0 || usable(dir, R_OK | W_OK | X_OK, "spool", err) < 0)
		return -1;
	for (i = 0; i < 3; i++) {
		buf_reset(&sub);
		buf_printf(&sub, "%s/%s", dir, subs[i]);
		/* the root may be a link an admin made; tmp/, new/ and cur/ must be ours */
		if (lstat(buf_cstr(&sub), &st) != 0) {
			if (errno == ENOENT) /* created in dir, which is writable */
				continue;
			problem(err, "spool", buf_cstr(&sub), "%s", strerror(errno));
			rc = -1;
		} else if (S_ISLNK(st.st_mode)) {
			problem(err, "spool", buf_cstr(&sub),
				"a symbolic link; refusing (tmp/, new/ and cur/ must be real "
				"directories, not links to elsewhere)");
			rc = -1;
		} else if (!S_ISDIR(st.st_mode)) {
			problem(err, "spool", buf_cstr(&sub), "not a directory");
			rc = -1;
		} else if (owned(&st, "spool", buf_cstr(&sub), err) < 0 ||
			   /* readers write cur/; the daemon only looks there */
			   usable(buf_cstr(&sub), i < 2 ? R_OK | W_OK | X_OK : R_OK | X_OK, "spool",
				  err) < 0) {
			rc = -1;
		}
	}
	buf_fini(&sub);
	return rc;
}

int preflight_storage(const struct config *c, struct buf *err)
{
	int rc = 0;

	/* a database server (state = postgresql://...) is checked when the daemon connects */
	if (!store_pg_is_uri(c->state) && check_state(c->state, c->path, err) < 0)
		rc = -1;
	if (check_spool(c->spool, err) < 0)
		rc = -1;
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* One daemon per state and spool, with flock(2) on descriptors only this module opens. flock
 * locks are apart from the POSIX record locks SQLite takes on the database file, but closing
 * any descriptor of that file drops the process's record locks: so a descriptor opened here is
 * kept open, locked or not, until instance_unlock, which runs after the database is closed. */
#include "autoconfig.h"

#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int take(int *fd, int *held, const char *what, const char *path, int flags, int created,
		struct buf *err)
{
	if (*held || !path)
		return 0; /* held, or nothing to lock (a database server) */
	if (*fd < 0 && (*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags)) < 0) {
		if (errno == ENOENT && !created)
			return 0; /* not there yet: locked once created */
		buf_printf(err, "%s %s: cannot open it to lock it: %s\n", what, path, strerror(errno));
		return -1;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			buf_printf(err,
				   "%s %s: in use by another feedspool process (a running service, or "
				   "another configuration naming the same %s)\n",
				   what, path, what);
		else
			buf_printf(err, "%s %s: cannot lock it: %s\n", what, path, strerror(errno));
		return -1;
	}
	*held = 1;
	return 0;
}

int instance_lock(struct instance_lock *l, const char *state, const char *spool, int created,
		  struct buf *err)
{
	int rc = 0;

	if (take(&l->state_fd, &l->state_held, "state", state, 0, created, err) < 0)
		rc = -1;
	if (take(&l->spool_fd, &l->spool_held, "spool", spool, O_DIRECTORY, created, err) < 0)
		rc = -1;
	return rc;
}

void instance_unlock(struct instance_lock *l)
{
	if (l->state_fd >= 0)
		close(l->state_fd);
	if (l->spool_fd >= 0)
		close(l->spool_fd);
	l->state_fd = l->spool_fd = -1;
	l->state_held = l->spool_held = 0;
}

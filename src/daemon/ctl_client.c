/* SPDX-License-Identifier: MIT */
/* The control socket's client (ctl.h, ctl_request): one request, one answer, blocking. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

static int dial(const char *path, struct buf *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		buf_printf(err, "%s: path too long for a socket", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;

		buf_printf(err, "%s: %s%s", path, strerror(e),
			   e == ENOENT || e == ECONNREFUSED ? " (is the daemon running?)" : "");
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

/* Reads up to the first newline, waiting at most timeout_ms in all. */
static int read_line(int fd, int timeout_ms, struct buf *in, struct buf *err)
{
	char chunk[4096];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (!in->len || !memchr(in->data, '\n', in->len)) {
		int r = poll(&p, 1, timeout_ms);
		ssize_t n;

		if (r == 0) {
			buf_printf(err, "no answer from the daemon within %d ms", timeout_ms);
			return -ETIMEDOUT;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (n = read(fd, chunk, sizeof chunk)) < 0) {
			buf_printf(err, "reading the answer: %s", strerror(errno));
			return -errno;
		}
		if (n == 0) {
			buf_printf(err, "the daemon closed the connection without answering");
			return -ECONNRESET;
		}
		if (buf_append(in, chunk, (size_t)n) < 0 || in->len > 16 * 1024 * 1024)
			return -ENOMEM;
	}
	return 0;
}

int ctl_request(const char *path, const json_t *request, int timeout_ms, json_t **answer,
		struct buf *err)
{
	char *text = json_dumps(request, JSON_COMPACT);
	struct buf in = BUF_INIT;
	json_error_t jerr;
	int fd, rc = -ENOMEM;
	size_t n;

	*answer = NULL;
	if (!text)
		return -ENOMEM;
	if ((fd = dial(path, err)) < 0) {
		free(text);
		return fd;
	}
	n = strlen(text);
	text[n] = '\n'; /* json_dumps' terminator becomes the line's end */
	if (write(fd, text, n + 1) != (ssize_t)(n + 1)) {
		rc = -errno;
		buf_printf(err, "%s: sending the request: %s", path, strerror(errno));
	} else if ((rc = read_line(fd, timeout_ms, &in, err)) == 0 &&
		   !(*answer = json_loadb(in.data, (size_t)((char *)memchr(in.data, '\n', in.len) - in.data), 0, &jerr))) {
		buf_printf(err, "%s: an answer that is not JSON: %s", path, jerr.text);
		rc = -EPROTO;
	}
	close(fd);
	free(text);
	buf_fini(&in);
	return rc;
}

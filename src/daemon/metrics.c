/* SPDX-License-Identifier: MIT */
/* The /metrics and /healthz server (metrics.h): libmicrohttpd on its own thread, serving the
 * snapshot the loop last published. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

struct metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock; /* guards the fields below */
	char *text;
	size_t len;
	int healthy;
	char why[256];
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct metrics *m = cls;
	enum MHD_Result rc;
	char msg[300];

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n", 9);
	pthread_mutex_lock(&m->lock);
	if (strcmp(url, "/metrics") == 0 && m->text)
		rc = reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", m->text, m->len);
	else if (strcmp(url, "/metrics") == 0)
		rc = reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "starting\n", 9);
	else if (strcmp(url, "/healthz") == 0) {
		snprintf(msg, sizeof msg, "%s\n", m->healthy ? "ok" : m->why);
		rc = reply(conn, m->healthy ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
			   msg, strlen(msg));
	} else
		rc = reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "/metrics or /healthz\n", 21);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* "HOST:PORT" or "[V6]:PORT", numeric only (no name lookups for a listening address). */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, struct buf *err)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = {0}, *ai = NULL;
	size_t hl;

	if (!colon || colon == addr || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && colon[-1] == ']')
		addr++, hl -= 2;
	if (hl >= sizeof host)
		goto bad;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
		goto bad;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
bad:
	buf_printf(err, "metrics = %s: expected ADDRESS:PORT with a numeric address (127.0.0.1:9464, [::1]:9464)",
		   addr);
	return -EINVAL;
}

struct metrics *metrics_new(const char *addr, struct buf *err)
{
	struct sockaddr_storage ss;
	struct metrics *m;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

	if (parse_addr(addr, &ss, err) < 0)
		return NULL;
	if (!(m = calloc(1, sizeof *m)))
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->healthy = 1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, &ss,
				  MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				  MHD_OPTION_END);
	if (!m->mhd) {
		buf_printf(err, "metrics = %s: cannot listen there (in use, or not an address of this machine)",
			   addr);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	return m;
}

unsigned metrics_port(const struct metrics *m)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

int metrics_publish(struct metrics *m, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&m->lock);
	free(m->text);
	m->text = copy;
	m->len = len;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void metrics_set_health(struct metrics *m, int healthy, const char *why)
{
	pthread_mutex_lock(&m->lock);
	m->healthy = healthy;
	snprintf(m->why, sizeof m->why, "%s", why ? why : "unhealthy");
	pthread_mutex_unlock(&m->lock);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}

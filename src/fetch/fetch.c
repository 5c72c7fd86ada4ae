/* SPDX-License-Identifier: MIT */
/* Fetching: one CURLM per fetcher driven by the libuv loop, with caps, validators and outcomes. */
#include "autoconfig.h"

#include "fetch.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "addr_policy.h"
#include "url.h"

#define MAX_REDIRECTS 5
/* Reads of data that came before a socket error, at most (curl reads 16 KiB at a time). */
#define MAX_ERR_READS 1024
/* Retry-After beyond this is taken as this: a server cannot park a feed for decades. */
#define MAX_RETRY_AFTER (366 * 24 * 3600)

/* One socket curl asked us to watch; attached to curl's socket with curl_multi_assign. */
struct fsock {
	uv_poll_t poll;
	struct fetcher *f;
	curl_socket_t fd;
	int events;    /* what curl asked to watch */
	int err_reads; /* reads before an error (see on_poll) */
	struct fsock *prev, *next;
};

struct fetcher {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;  /* curl's one timeout */
	uv_timer_t reaper; /* runs cancellations and the close from the loop, outside curl */
	uv_timer_t deadlines; /* the transfers' own timeouts, which a pause stops (see below) */
	struct fetch *fetches;
	size_t n_fetches;
	struct fsock *socks;
	int open_handles; /* uv handles whose close callback has not run yet */
	int poll_error;	  /* the socket's pending error while an error from the poll is handled */
	int closing, shut;
	void (*on_closed)(void *ud);
	void *closed_ud;
};

struct fetch {
	struct fetcher *f;
	struct fetch *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	fetch_data_fn data;
	fetch_done_fn done;
	void *ud;
	int is_http;
	int timeout, connect_timeout, low_speed_limit, low_speed_time;
	size_t max_bytes;
	int cancelled;
	int paused;	 /* the data callback asked to pause: curl keeps the chunk until resumed */
	CURLcode resume_rc; /* what curl_easy_pause answered when the transfer failed there */
	/* The whole-transfer timeout is kept here, not by curl: time paused while the caller
	 * catches up is not the transfer's. */
	uint64_t deadline_ms, paused_at;
	int abort_error; /* why a callback stopped the transfer */
	/* The response being received; a redirect chain resets these at each "HTTP/" line. */
	int status;
	int redirects, all_permanent;
	size_t header_bytes;
	size_t body_seen; /* bytes of the current body, delivered or not */
	size_t bytes;	  /* bytes delivered */
	char *etag, *last_modified, *content_type, *cache_control, *location, *encoding;
	int64_t expires, retry_after, retry_after_secs;
	int excess;	     /* curl saw more body than the Content-Length announced */
	int headers_done;    /* the current response's headers have ended */
	long long announced; /* its Content-Length, -1 when absent */
	/* The URL of every response in the redirect chain, to tell a loop from a long chain. */
	char *visited[MAX_REDIRECTS + 2];
	size_t n_visited;
	char errbuf[CURL_ERROR_SIZE];
	struct addr_policy policy; /* allow_private */
	char refused[160];	   /* the last connection the policy refused */
};

static void fetcher_shutdown(struct fetcher *f);
static void on_deadlines(uv_timer_t *t);

/* Handle bookkeeping: the fetcher goes once every uv handle it opened is closed. */

static void fetcher_release(struct fetcher *f)
{
	void (*on_closed)(void *) = f->on_closed;
	void *ud = f->closed_ud;

	if (--f->open_handles > 0 || !f->shut)
		return;
	free(f);
	curl_global_cleanup();
	if (on_closed)
		on_closed(ud);
}

static void on_timer_closed(uv_handle_t *h)
{
	fetcher_release(h->data);
}

static void on_sock_closed(uv_handle_t *h)
{
	struct fsock *s = h->data;
	struct fetcher *f = s->f;

	free(s);
	fetcher_release(f);
}

static void sock_close(struct fsock *s)
{
	struct fetcher *f = s->f;

	if (s->prev)
		s->prev->next = s->next;
	else
		f->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* Fetches: setup, results, teardown. */

static void fetch_free(struct fetch *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->n_visited; i++)
		free(x->visited[i]);
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->etag);
	free(x->last_modified);
	free(x->content_type);
	free(x->cache_control);
	free(x->location);
	free(x->encoding);
	free(x);
}

static void fetch_unlink(struct fetch *x)
{
	struct fetcher *f = x->f;

	if (x->prev)
		x->prev->next = x->next;
	else
		f->fetches = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	f->n_fetches--;
}

static void set_message(struct fetch_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_message(struct fetch_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

/* curl's error text, or its generic one when the buffer is empty. */
static const char *curl_text(const struct fetch *x, CURLcode rc)
{
	return x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
}

/* A size as the configuration would write it: "16 MiB", "64 KiB" or "1000 bytes". */
static const char *size_text(size_t n, char *out, size_t size)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(out, size, "%zu MiB", n / (1024 * 1024));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(out, size, "%zu KiB", n / 1024);
	else
		snprintf(out, size, "%zu bytes", n);
	return out;
}

static curl_off_t info_off(const struct fetch *x, CURLINFO what)
{
	curl_off_t v = -1;

	if (curl_easy_getinfo(x->easy, what, &v) != CURLE_OK)
		v = -1;
	return v;
}

static void describe_too_big(const struct fetch *x, CURLcode rc, struct fetch_result *r)
{
	/* curl refuses a Content-Length over the cap before it records it */
	curl_off_t announced = x->announced;
	char cap[32];

	r->error = -EFBIG;
	size_text(x->max_bytes, cap, sizeof cap);
	if (rc == CURLE_FILESIZE_EXCEEDED && announced > 0 && (uint64_t)announced > x->max_bytes)
		set_message(
		    r, "body larger than the %s cap (Content-Length: %" CURL_FORMAT_CURL_OFF_T ")",
		    cap, announced);
	else if (x->encoding && *x->encoding && strcasecmp(x->encoding, "identity") != 0)
		set_message(r, "body larger than the %s cap after decompression (%.40s)", cap,
			    x->encoding);
	else
		set_message(r, "body larger than the %s cap", cap);
}

/* The body stopped short: how, then curl's "transfer closed with N bytes remaining" as the
 * bytes received of those announced (a chunked body announces none). */
static void describe_cut(const struct fetch *x, const char *how, struct fetch_result *r)
{
	curl_off_t announced = info_off(x, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T);
	curl_off_t got = info_off(x, CURLINFO_SIZE_DOWNLOAD_T);

	if (got < 0)
		got = 0;
	if (announced >= 0)
		set_message(r,
			    "%s after %" CURL_FORMAT_CURL_OFF_T " of the %" CURL_FORMAT_CURL_OFF_T
			    " bytes announced",
			    how, got, announced);
	else
		set_message(r, "%s, after %" CURL_FORMAT_CURL_OFF_T " bytes", how, got);
}

static void describe_redirects(const struct fetch *x, struct fetch_result *r)
{
	char *next = NULL;
	size_t i;

	r->error = -ELOOP;
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &next);
	for (i = 0; next && i < x->n_visited; i++) {
		if (strcmp(next, x->visited[i]) == 0) {
			set_message(r, "redirect loop: redirected back to %.180s", next);
			return;
		}
	}
	set_message(r, "too many redirects (more than %d)", MAX_REDIRECTS);
}

/* Only http and https are followed; the Location (its control bytes already removed) says
 * where the server wanted to send us. */
static void describe_scheme(const struct fetch *x, struct fetch_result *r)
{
	r->error = -EPROTONOSUPPORT;
	if (x->status >= 300 && x->status < 400 && x->location)
		set_message(r, "redirect to %.160s refused: only http and https are followed",
			    x->location);
	else if (x->status >= 300 && x->status < 400)
		set_message(r, "redirect to a non-http URL refused");
	else
		set_message(r, "URL scheme not allowed");
}

static void describe_timeout(const struct fetch *x, struct fetch_result *r)
{
	curl_off_t connect_us = 0;

	curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
	r->error = -ETIMEDOUT;
	/* curl reports both limits as CURLE_OPERATION_TIMEDOUT; only its text tells them apart. */
	if (x->low_speed_limit > 0 && strncmp(x->errbuf, "Operation too slow", 18) == 0)
		set_message(r, "too slow: below %d bytes/s for %d s", x->low_speed_limit,
			    x->low_speed_time);
	else if (connect_us == 0 && x->connect_timeout < x->timeout)
		set_message(r, "connect timeout after %d s", x->connect_timeout);
	else
		set_message(r, "timeout after %d s", x->timeout);
}

static void describe_error(const struct fetch *x, CURLcode rc, struct fetch_result *r)
{
	long os_errno = 0, request_size = 0;

	if (x->cancelled || x->f->closing) {
		r->error = -ECANCELED;
		set_message(r, "cancelled");
		return;
	}
	switch (x->abort_error) {
	case -EFBIG:
		describe_too_big(x, rc, r);
		return;
	case -EMSGSIZE:
		r->error = -EMSGSIZE;
		set_message(r, "response headers larger than %d KiB",
			    FETCH_MAX_HEADER_BYTES / 1024);
		return;
	case -ECANCELED:
		r->error = -ECANCELED;
		set_message(r, "aborted by the receiver");
		return;
	}
	if (x->refused[0] && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_ABORTED_BY_CALLBACK)) {
		r->error = -EACCES;
		set_message(r, "%s", x->refused);
		return;
	}
	curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &request_size);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		describe_timeout(x, r);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		r->error = -EHOSTUNREACH;
		set_message(r, "could not resolve host");
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		r->error = -EHOSTUNREACH;
		set_message(r, "could not resolve proxy");
		break;
	case CURLE_COULDNT_CONNECT:
		if (os_errno == 0 || os_errno == ECONNREFUSED) {
			r->error = -ECONNREFUSED;
			set_message(r, "connection refused");
		} else {
			r->error = -(int)os_errno;
			set_message(r, "could not connect: %s", strerror((int)os_errno));
		}
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		describe_redirects(x, r);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		describe_scheme(x, r);
		break;
	case CURLE_URL_MALFORMAT:
		r->error = -EINVAL;
		set_message(r, "malformed URL");
		break;
	case CURLE_FILESIZE_EXCEEDED:
		describe_too_big(x, rc, r);
		break;
	case CURLE_PARTIAL_FILE:
		r->error = -EPROTO;
		describe_cut(x,
			     info_off(x, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T) >= 0
				 ? "Content-Length mismatch: the server closed the connection"
				 : "the server closed the connection mid-body",
			     r);
		break;
	case CURLE_GOT_NOTHING:
		r->error = -EPROTO;
		set_message(r, "server closed the connection without answering");
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (os_errno == 0)
			os_errno = x->f->poll_error;
		if (os_errno == ECONNRESET) {
			r->error = -ECONNRESET;
			if (x->status > 0)
				describe_cut(x, "connection reset by the server mid-body", r);
			else
				set_message(r, "connection reset by the server");
		} else if (os_errno > 0) {
			r->error = -(int)os_errno;
			set_message(r, "connection failed: %s", strerror((int)os_errno));
		} else {
			r->error = -EIO;
			set_message(r, "%s failed: %s", rc == CURLE_SEND_ERROR ? "send" : "receive",
				    curl_text(x, rc));
		}
		break;
	case CURLE_SSL_CONNECT_ERROR:
		r->error = -EPROTO;
		/* what a TLS client makes of a plain-HTTP answer to its hello */
		if (strstr(x->errbuf, "wrong version number") || strstr(x->errbuf, "packet length"))
			set_message(r, "TLS handshake failed: %s (a plain HTTP port?)",
				    curl_text(x, rc));
		else
			set_message(r, "TLS handshake failed: %s", curl_text(x, rc));
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		r->error = -EPROTO;
		set_message(r, "TLS certificate rejected: %s", curl_text(x, rc));
		break;
	case CURLE_BAD_CONTENT_ENCODING:
		r->error = -EPROTO;
		set_message(r, "bad compressed body: %s", curl_text(x, rc));
		break;
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		r->error = -EPROTO;
		set_message(r, "HTTP/2 or HTTP/3 error: %s", curl_text(x, rc));
		break;
	case CURLE_WEIRD_SERVER_REPLY:
		r->error = -EPROTO;
		set_message(r, "malformed response: %s", curl_text(x, rc));
		break;
	case CURLE_FILE_COULDNT_READ_FILE:
		r->error = -ENOENT;
		set_message(r, "could not read file");
		break;
#if LIBCURL_VERSION_NUM >= 0x080600
	case CURLE_TOO_LARGE:
#endif
	case CURLE_OUT_OF_MEMORY:
		/* Curl's own limit on one header line (our cap on all of them is lower than its
		 * total): CURLE_TOO_LARGE since 8.6, before that out of memory with no text. A
		 * request sent and its answer's headers unfinished tell that case. */
		if (!x->headers_done && request_size > 0) {
			r->error = -EMSGSIZE;
			set_message(r, "a response header line longer than curl's limit of %d KiB",
				    CURL_MAX_HTTP_HEADER / 1024);
		} else if (rc != CURLE_OUT_OF_MEMORY) {
			r->error = -EMSGSIZE;
			set_message(r, "response over curl's limits: %s", curl_text(x, rc));
		} else {
			r->error = -ENOMEM;
			set_message(r, "out of memory");
		}
		break;
	default:
		r->error = -EIO;
		set_message(r, "transfer failed: %s", curl_text(x, rc));
		break;
	}
}

static void fill_result(struct fetch *x, CURLcode rc, struct fetch_result *r)
{
	long status = 0;
	char *url = NULL;

	memset(r, 0, sizeof(*r));
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
	r->status = (int)status;
	r->effective_url = url;
	r->redirects = x->redirects;
	if (x->redirects > 0) {
		r->redirect_target = url;
		r->permanent_redirect = x->all_permanent;
	}
	r->etag = x->etag;
	r->last_modified = x->last_modified;
	r->content_type = x->content_type;
	r->cache_control = x->cache_control;
	r->location = x->location;
	r->expires = x->expires;
	r->retry_after = x->retry_after;
	r->bytes = x->bytes;

	/* An error page too large to read is still a proper answer: only its body is dropped. */
	if ((rc == CURLE_FILESIZE_EXCEEDED ||
	     (rc == CURLE_WRITE_ERROR && x->abort_error == -EFBIG)) &&
	    x->is_http && x->status > 0 && x->status != 200 && !x->cancelled && !x->f->closing)
		rc = CURLE_OK;
	if (rc != CURLE_OK || x->cancelled || x->f->closing) {
		describe_error(x, rc, r);
		return;
	}
	if (!x->is_http) {
		r->status = 200;
		set_message(r, "read %zu bytes", x->bytes);
	} else if (x->excess && r->status == 200) {
		/* the body was cut at the announced length: what it holds is not what was sent */
		r->error = -EPROTO;
		set_message(r,
			    "Content-Length mismatch: the server sent more than the "
			    "%" CURL_FORMAT_CURL_OFF_T " bytes announced",
			    info_off(x, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T));
	} else if (r->status == 0) {
		r->error = -EPROTO;
		set_message(r, "no HTTP response");
	} else if (x->retry_after && r->status >= 300 && r->status != 304) {
		set_message(r, "HTTP %d (Retry-After %" PRId64 " s)", r->status,
			    x->retry_after_secs);
	} else {
		set_message(r, "HTTP %d", r->status);
	}
}

/* Reports the outcome and frees the fetch. rc was read from curl's message before this. */
static void fetch_finish(struct fetch *x, CURLcode rc)
{
	struct fetch_result r;

	fill_result(x, rc, &r);
	curl_multi_remove_handle(x->f->multi, x->easy);
	fetch_unlink(x);
	x->done(x->ud, &r);
	fetch_free(x);
}

/* Drains curl's messages after every action; done callbacks may start, cancel or close. */
static void check_multi_info(struct fetcher *f)
{
	CURLMsg *msg;
	int pending;

	while (!f->closing && (msg = curl_multi_info_read(f->multi, &pending))) {
		char *priv = NULL;
		CURLcode rc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result; /* msg is gone once the handle is removed */
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if (priv)
			fetch_finish((struct fetch *)(void *)priv, rc);
	}
}

/* libuv callbacks. */

static void on_timeout(uv_timer_t *t)
{
	struct fetcher *f = t->data;
	int running;

	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi_info(f);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct fsock *s = p->data;
	struct fetcher *f = s->f;
	int flags = 0, running;
	char peek;

	if (status < 0) {
		/* A reset may come after data the kernel still holds: libuv reports only the error
		 * and stops the handle. Curl then reads that data first and meets the error after
		 * it, as a read would, with the handle watching again. A peek that finds no data
		 * takes the socket's error (and clears it, as SO_ERROR would). */
		ssize_t n = -1;

		errno = 0;
		if ((s->events & UV_READABLE) && s->err_reads < MAX_ERR_READS)
			n = recv(s->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0 && uv_poll_start(&s->poll, s->events, on_poll) == 0) {
			s->err_reads++;
			flags = CURL_CSELECT_IN;
		} else {
			/* curl only says "select/poll returned error": keep the cause. */
			socklen_t len = sizeof(f->poll_error);

			flags = CURL_CSELECT_ERR;
			if (n < 0 && errno != 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				f->poll_error = errno;
			else if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &f->poll_error, &len) < 0)
				f->poll_error = 0;
		}
	} else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	curl_multi_socket_action(f->multi, s->fd, flags, &running);
	check_multi_info(f);
	f->poll_error = 0;
}

static void on_reap(uv_timer_t *t)
{
	struct fetcher *f = t->data;
	struct fetch *x, *next;

	/* A done callback may cancel others (a flag), start new ones (at the head) or close. */
	for (x = f->fetches; x; x = next) {
		next = x->next;
		if (x->cancelled || f->closing)
			fetch_finish(x, CURLE_ABORTED_BY_CALLBACK);
		else if (x->resume_rc)
			fetch_finish(x, x->resume_rc); /* the transfer failed as it resumed */
	}
	if (!f->closing || f->shut)
		return;
	while (f->fetches)
		fetch_finish(f->fetches, CURLE_ABORTED_BY_CALLBACK);
	fetcher_shutdown(f);
}

/* curl callbacks. */

static int cb_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct fetcher *f = userp;
	struct fsock *s = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(f->multi, fd, NULL);
			sock_close(s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		if (uv_poll_init_socket(f->loop, &s->poll, fd) < 0) {
			free(s); /* a failed init leaves nothing registered with the loop */
			return -1;
		}
		s->poll.data = s;
		s->f = f;
		s->fd = fd;
		s->next = f->socks;
		if (f->socks)
			f->socks->prev = s;
		f->socks = s;
		f->open_handles++;
		curl_multi_assign(f->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	s->events = events;
	return uv_poll_start(&s->poll, events, on_poll) < 0 ? -1 : 0;
}

static int cb_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetcher *f = userp;

	(void)multi;
	if (timeout_ms < 0)
		return uv_timer_stop(&f->timer) < 0 ? -1 : 0;
	/* Never act from inside curl: a 0 timeout runs on the next loop iteration. */
	return uv_timer_start(&f->timer, on_timeout, (uint64_t)timeout_ms, 0) < 0 ? -1 : 0;
}

/* A copy of a header value without control bytes: nothing from the network may smuggle a line
 * break into a header we send back later. */
static char *header_value(const char *p, size_t n)
{
	char *s, *d;

	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 &&
	       (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	for (d = s; n > 0; p++, n--)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			*d++ = *p;
		else if (*p == '\t')
			*d++ = ' ';
	*d = '\0';
	return s;
}

static int header_is(const char *p, size_t n, const char *name, size_t *vstart)
{
	size_t len = strlen(name);

	if (n <= len || p[len] != ':' || strncasecmp(p, name, len) != 0)
		return 0;
	*vstart = len + 1;
	return 1;
}

static void replace(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

static void parse_retry_after(struct fetch *x, const char *v)
{
	time_t now = time(NULL);
	int64_t secs;
	size_t i;

	for (i = 0; v[i] && isdigit((unsigned char)v[i]); i++)
		;
	if (i > 0 && v[i] == '\0') {
		secs = i > 9 ? MAX_RETRY_AFTER : strtoll(v, NULL, 10);
	} else {
		time_t t = curl_getdate(v, NULL);

		if (t <= 0)
			return; /* unparseable: as if absent */
		secs = t > now ? (int64_t)(t - now) : 0;
	}
	if (secs > MAX_RETRY_AFTER)
		secs = MAX_RETRY_AFTER;
	x->retry_after = (int64_t)now + secs;
	x->retry_after_secs = secs;
}

/* A new response begins (the first, or the next in a redirect chain). */
static void new_response(struct fetch *x, const char *p, size_t n)
{
	size_t i = 5;
	int status = 0;

	if (x->status >= 300 && x->status < 400) {
		x->redirects++;
		if (x->status != 301 && x->status != 308)
			x->all_permanent = 0;
	}
	while (i < n && p[i] != ' ')
		i++;
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && isdigit((unsigned char)p[i]) && status < 1000; i++)
		status = status * 10 + (p[i] - '0');
	x->status = status;
	x->body_seen = 0;
	x->excess = 0;
	x->headers_done = 0;
	x->announced = -1;
	if (x->n_visited < sizeof x->visited / sizeof *x->visited) {
		char *url = NULL;

		if (curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url)
			x->visited[x->n_visited++] = strdup(url);
		if (x->n_visited > 0 && !x->visited[x->n_visited - 1])
			x->n_visited--; /* no memory: only the loop's description suffers */
	}
	replace(&x->etag, NULL);
	replace(&x->last_modified, NULL);
	replace(&x->content_type, NULL);
	replace(&x->cache_control, NULL);
	replace(&x->location, NULL);
	replace(&x->encoding, NULL);
	x->expires = x->retry_after = x->retry_after_secs = 0;
}

static size_t cb_header(char *p, size_t size, size_t nitems, void *userdata)
{
	struct fetch *x = userdata;
	size_t n = size * nitems, v;
	char *value;

	if (x->cancelled || x->f->closing)
		return 0;
	if (n > FETCH_MAX_HEADER_BYTES - x->header_bytes) {
		x->abort_error = -EMSGSIZE;
		return 0;
	}
	x->header_bytes += n;
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		new_response(x, p, n);
		return n;
	}
	if (n <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		x->headers_done = 1;
		return n;
	}
	if (header_is(p, n, "ETag", &v)) {
		replace(&x->etag, header_value(p + v, n - v));
	} else if (header_is(p, n, "Last-Modified", &v)) {
		replace(&x->last_modified, header_value(p + v, n - v));
	} else if (header_is(p, n, "Content-Type", &v)) {
		replace(&x->content_type, header_value(p + v, n - v));
	} else if (header_is(p, n, "Location", &v)) {
		replace(&x->location, header_value(p + v, n - v));
	} else if (header_is(p, n, "Content-Encoding", &v)) {
		replace(&x->encoding, header_value(p + v, n - v));
	} else if (header_is(p, n, "Content-Length", &v)) {
		value = header_value(p + v, n - v);
		if (value) {
			char *end;
			long long len = strtoll(value, &end, 10);

			x->announced = end != value && *end == '\0' && len >= 0 ? len : -1;
			free(value);
		}
	} else if (header_is(p, n, "Cache-Control", &v)) {
		value = header_value(p + v, n - v);
		if (value && x->cache_control && *x->cache_control) {
			/* Repeated headers are one comma-separated list. */
			size_t a = strlen(x->cache_control), b = strlen(value);
			char *both = malloc(a + 2 + b + 1);

			if (both) {
				memcpy(both, x->cache_control, a);
				memcpy(both + a, ", ", 2);
				memcpy(both + a + 2, value, b + 1);
			}
			free(value);
			value = both;
		}
		if (value)
			replace(&x->cache_control, value);
	} else if (header_is(p, n, "Expires", &v)) {
		value = header_value(p + v, n - v);
		if (value) {
			time_t t = curl_getdate(value, NULL);

			/* An invalid date ("0") means already expired (RFC 9111, 5.3). */
			x->expires = t > 0 ? (int64_t)t : 1;
			free(value);
		}
	} else if (header_is(p, n, "Retry-After", &v)) {
		value = header_value(p + v, n - v);
		if (value) {
			parse_retry_after(x, value);
			free(value);
		}
	}
	return n;
}

/* curl tells of a body longer than its Content-Length only in its informational text, which
 * starts with "Excess found" ("... in a read" in curl 7); nothing else here is looked at. */
static int cb_debug(CURL *e, curl_infotype type, char *p, size_t n, void *userdata)
{
	struct fetch *x = userdata;

	(void)e;
	if (type == CURLINFO_TEXT && n >= 12 && memcmp(p, "Excess found", 12) == 0)
		x->excess = 1;
	return 0;
}

static size_t cb_write(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct fetch *x = userdata;
	size_t n = size * nmemb;

	if (x->cancelled || x->resume_rc || x->f->closing)
		return 0;
	/* Counted after decompression: a small compressed body cannot grow past the cap. */
	if (n > x->max_bytes - x->body_seen) {
		x->abort_error = -EFBIG;
		return 0;
	}
	x->body_seen += n;
	if (x->is_http && x->status != 200)
		return n; /* error pages and redirect bodies are read and dropped */
	if (x->data) {
		int rc = x->data(x->ud, p, n);

		if (rc == FETCH_PAUSE && !x->cancelled && !x->f->closing) {
			/* not taken: curl delivers the same chunk again on fetch_resume */
			x->body_seen -= n;
			x->paused = 1;
			x->paused_at = uv_now(x->f->loop);
			return CURL_WRITEFUNC_PAUSE;
		}
		if (rc != 0) {
			x->abort_error = -ECANCELED;
			return 0;
		}
	}
	if (x->cancelled || x->f->closing)
		return 0; /* cancelled from inside the data callback */
	x->bytes += n;
	return n;
}

/* The public interface. */

struct fetcher *fetcher_new(uv_loop_t *loop, int max_total, int max_per_host)
{
	struct fetcher *f;

	if (!loop || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		goto fail_global;
	f->loop = loop;
	f->multi = curl_multi_init();
	if (!f->multi)
		goto fail_free;
	if (curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, cb_socket) != CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f) != CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, cb_timer) != CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f) != CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_total) !=
		CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_per_host) !=
		CURLM_OK)
		goto fail_multi;
	/* Last: from here on f is freed only by the handles' close callbacks. */
	uv_timer_init(loop, &f->timer);
	f->timer.data = f;
	uv_timer_init(loop, &f->reaper);
	f->reaper.data = f;
	uv_timer_init(loop, &f->deadlines);
	f->deadlines.data = f;
	f->open_handles = 3;
	return f;

fail_multi:
	curl_multi_cleanup(f->multi);
fail_free:
	free(f);
fail_global:
	curl_global_cleanup();
	return NULL;
}

static int has_line_break(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static int add_header(struct fetch *x, const char *name, const char *value)
{
	struct curl_slist *l;
	char *line;
	size_t n;

	n = (name ? strlen(name) + 2 : 0) + strlen(value) + 1;
	line = malloc(n);
	if (!line)
		return -ENOMEM;
	if (name)
		snprintf(line, n, "%s: %s", name, value);
	else
		snprintf(line, n, "%s", value);
	l = curl_slist_append(x->headers, line);
	free(line);
	if (!l)
		return -ENOMEM;
	x->headers = l;
	return 0;
}

/* 0 when the policy allows sa, else -1 with the refusal kept for the result's message. */
static int refuse(struct fetch *x, const struct sockaddr *sa)
{
	const char *kind = addr_policy_refuses(&x->policy, sa);
	char where[ADDR_TEXT_MAX];

	if (!kind)
		return 0;
	addr_format(sa, where, sizeof where);
	snprintf(x->refused, sizeof x->refused,
		 "connection to %s refused: %s address (allow_private)", where, kind);
	return -1;
}

/* Every new connection, after DNS resolution and before connect: DNS rebinding or a redirect
 * cannot reach an address the policy refuses. */
static curl_socket_t cb_opensocket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct fetch *x = clientp;

	if (purpose == CURLSOCKTYPE_IPCXN && refuse(x, &a->addr) < 0)
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Every request, on a new or a reused connection (which cb_opensocket did not see for this
 * fetch: another fetch with another policy may have opened it). */
static int cb_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
		     int local_port)
{
	struct fetch *x = clientp;
	struct sockaddr_storage ss;

	(void)local_ip;
	(void)local_port;
	if (addr_from_text(primary_ip, primary_port, &ss) < 0) {
		snprintf(x->refused, sizeof x->refused,
			 "connection to %.64s port %d refused: not an IP address", primary_ip,
			 primary_port);
		return CURL_PREREQFUNC_ABORT;
	}
	if (refuse(x, (struct sockaddr *)&ss) < 0)
		return CURL_PREREQFUNC_ABORT;
	x->refused[0] = '\0'; /* another address of the host was refused before this one */
	return CURL_PREREQFUNC_OK;
}

static int setup_policy(struct fetch *x, const struct fetch_request *req)
{
	CURL *e = x->easy;
	char err[256];

	if (addr_policy_parse(&x->policy, req->allow_private, err, sizeof err) < 0)
		return -EINVAL;
	if (!x->is_http)
		return 0;
	if (curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, cb_opensocket) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, cb_prereq) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PREREQDATA, x) != CURLE_OK)
		return -EINVAL;
	return 0;
}

/* Credentials, proxy, cookies and TLS. curl copies every string. */
static int setup_network(struct fetch *x, const struct fetch_request *req)
{
	CURL *e = x->easy;
	char *bare;
	int rc = 0;

	if (req->username) {
		/* the configured account, not the URL's: curl would otherwise mix the two */
		if (!(bare = url_strip_userinfo(req->url)))
			return -ENOMEM;
		if (curl_easy_setopt(e, CURLOPT_URL, bare) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_USERNAME, req->username) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_PASSWORD, req->password ? req->password : "") !=
			CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_ANY) != CURLE_OK)
			rc = -EINVAL;
		free(bare);
		if (rc < 0)
			return rc;
	}
	if (req->proxy && curl_easy_setopt(e, CURLOPT_PROXY, req->proxy) != CURLE_OK)
		return -EINVAL;
	if (req->cookie_file && curl_easy_setopt(e, CURLOPT_COOKIEFILE, req->cookie_file) != CURLE_OK)
		return -EINVAL;
	if (req->ca_file && curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file) != CURLE_OK)
		return -EINVAL;
	if (req->client_cert && curl_easy_setopt(e, CURLOPT_SSLCERT, req->client_cert) != CURLE_OK)
		return -EINVAL;
	if (req->client_key && curl_easy_setopt(e, CURLOPT_SSLKEY, req->client_key) != CURLE_OK)
		return -EINVAL;
	if (req->tls_insecure &&
	    (curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK ||
	     curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK))
		return -EINVAL;
	return 0;
}

static int setup_easy(struct fetch *x, const struct fetch_request *req)
{
	CURL *e = x->easy;
	curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
	size_t i;

	for (i = 0; i < req->n_headers; i++)
		if (!req->headers[i] || has_line_break(req->headers[i]) ||
		    add_header(x, NULL, req->headers[i]) < 0)
			return -EINVAL;
	if (req->etag && *req->etag && add_header(x, "If-None-Match", req->etag) < 0)
		return -ENOMEM;
	if (req->last_modified && *req->last_modified &&
	    add_header(x, "If-Modified-Since", req->last_modified) < 0)
		return -ENOMEM;

	if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
			     req->allow_file ? "http,https,file" : "http,https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)x->connect_timeout) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_bytes) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, cb_header) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, cb_write) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, cb_debug) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_DEBUGDATA, x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L) != CURLE_OK)
		return -EINVAL;
	if (x->low_speed_limit > 0 && x->low_speed_time > 0 &&
	    (curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)x->low_speed_limit) != CURLE_OK ||
	     curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)x->low_speed_time) != CURLE_OK))
		return -EINVAL;
	if (req->user_agent &&
	    (has_line_break(req->user_agent) ||
	     curl_easy_setopt(e, CURLOPT_USERAGENT, req->user_agent) != CURLE_OK))
		return -EINVAL;
	if (x->headers && curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK)
		return -EINVAL;
	if (vi->features & CURL_VERSION_HTTP2)
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (setup_network(x, req) < 0)
		return -EINVAL;
	return setup_policy(x, req);
}

struct fetch *fetcher_start(struct fetcher *f, const struct fetch_request *req, fetch_data_fn data,
			    fetch_done_fn done, void *ud)
{
	struct fetch *x;

	if (!f || f->closing || !req || !req->url || !done || has_line_break(req->etag) ||
	    has_line_break(req->last_modified)) {
		errno = EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->f = f;
	x->data = data;
	x->done = done;
	x->ud = ud;
	x->all_permanent = 1;
	x->is_http = strncasecmp(req->url, "file:", 5) != 0;
	x->timeout = req->timeout > 0 ? req->timeout : FETCH_DEFAULT_TIMEOUT;
	x->connect_timeout =
	    req->connect_timeout > 0 ? req->connect_timeout : FETCH_DEFAULT_CONNECT_TIMEOUT;
	x->low_speed_limit = req->low_speed_limit;
	x->low_speed_time = req->low_speed_time;
	x->max_bytes = req->max_bytes > 0 ? req->max_bytes : FETCH_DEFAULT_MAX_BYTES;
	x->easy = curl_easy_init();
	if (!x->easy)
		goto fail;
	if (setup_easy(x, req) < 0) {
		errno = EINVAL;
		goto fail;
	}
	if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK)
		goto fail;
	x->next = f->fetches;
	if (f->fetches)
		f->fetches->prev = x;
	f->fetches = x;
	f->n_fetches++;
	x->deadline_ms = uv_now(f->loop) + (uint64_t)x->timeout * 1000;
	if (!uv_is_active((uv_handle_t *)&f->deadlines))
		uv_timer_start(&f->deadlines, on_deadlines, 250, 250);
	return x;

fail:
	fetch_free(x);
	return NULL;
}

const char *fetch_content_type(const struct fetch *x)
{
	return x ? x->content_type : NULL;
}

const char *fetch_effective_url(const struct fetch *x)
{
	char *u = NULL;

	if (!x || curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &u) != CURLE_OK)
		return NULL;
	return u;
}

void fetcher_cancel(struct fetch *x)
{
	if (!x || x->cancelled)
		return;
	/* Only a flag here: this may run inside a curl callback, where the handle cannot go. */
	x->cancelled = 1;
	uv_timer_start(&x->f->reaper, on_reap, 0, 0);
}

/* Every 250 ms while transfers run: a transfer past its own deadline ends as a timeout. */
static void on_deadlines(uv_timer_t *t)
{
	struct fetcher *f = t->data;
	uint64_t now = uv_now(f->loop);
	struct fetch *x;

	for (x = f->fetches; x; x = x->next) {
		if (x->paused || x->cancelled || x->resume_rc || now < x->deadline_ms)
			continue;
		x->resume_rc = CURLE_OPERATION_TIMEDOUT;
		x->errbuf[0] = '\0';
		uv_timer_start(&f->reaper, on_reap, 0, 0);
	}
	if (!f->fetches)
		uv_timer_stop(t);
}

void fetch_resume(struct fetch *x)
{
	if (!x || !x->paused || x->cancelled || x->f->closing)
		return;
	x->paused = 0;
	x->deadline_ms += uv_now(x->f->loop) - x->paused_at;
	/* may deliver the held chunk to the data callback at once, which may pause again; a
	 * failure there (the size cap) ends the transfer with that result */
	if ((x->resume_rc = curl_easy_pause(x->easy, CURLPAUSE_CONT)) != CURLE_OK)
		uv_timer_start(&x->f->reaper, on_reap, 0, 0);
}

int fetch_paused(const struct fetch *x)
{
	return x && x->paused;
}

int fetch_can_pause(const struct fetch *x)
{
	/* curl keeps what arrives while paused: for an encoded body that is the decoded rest of a
	 * network read (a gzip bomb's megabytes), for file:// the rest of the file */
	return x && x->is_http && !(x->encoding && *x->encoding &&
				    strcasecmp(x->encoding, "identity") != 0);
}

size_t fetcher_active(const struct fetcher *f)
{
	return f ? f->n_fetches : 0;
}

/* Runs from the reaper once every fetch has been reported. */
static void fetcher_shutdown(struct fetcher *f)
{
	f->shut = 1;
	curl_multi_cleanup(f->multi); /* may still report sockets as removed */
	f->multi = NULL;
	while (f->socks)
		sock_close(f->socks);
	uv_timer_stop(&f->timer);
	uv_close((uv_handle_t *)&f->timer, on_timer_closed);
	uv_close((uv_handle_t *)&f->reaper, on_timer_closed);
	uv_timer_stop(&f->deadlines);
	uv_close((uv_handle_t *)&f->deadlines, on_timer_closed);
}

void fetcher_close(struct fetcher *f, void (*on_closed)(void *ud), void *ud)
{
	if (!f || f->closing)
		return;
	f->closing = 1;
	f->on_closed = on_closed;
	f->closed_ud = ud;
	uv_timer_start(&f->reaper, on_reap, 0, 0);
}

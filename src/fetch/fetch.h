/* SPDX-License-Identifier: MIT */
/* Fetching: libcurl's multi interface driven by the libuv loop (one uv_poll_t per socket, one
 * uv_timer_t for curl's timeouts), conditional GET, compression, redirects, caps on time and
 * size, per-host and total connection limits. Bodies stream to the caller as they arrive. */
#ifndef FEEDSPOOL_FETCH_H
#define FEEDSPOOL_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct fetcher;
struct fetch;

/* Used when a request leaves the value at 0. */
#define FETCH_DEFAULT_MAX_BYTES (16u * 1024 * 1024)
#define FETCH_DEFAULT_TIMEOUT 60
#define FETCH_DEFAULT_CONNECT_TIMEOUT 30
/* All response headers of one fetch, redirects included, may not exceed this. */
#define FETCH_MAX_HEADER_BYTES (256 * 1024)

struct fetch_request {
	const char *url;
	const char *etag, *last_modified; /* validators to send (NULL: none) */
	const char *user_agent;
	const char *const *headers;       /* extra "Name: value" lines */
	size_t n_headers;
	int connect_timeout, timeout;     /* seconds (0: FETCH_DEFAULT_*) */
	int low_speed_limit, low_speed_time; /* bytes/s for seconds (0: no check) */
	size_t max_bytes;                 /* body cap after decompression (0: default) */
	int allow_file;                   /* file:// allowed for this request */
	/* Internal addresses (loopback, private, link-local...) this request may connect to: the
	 * allow_private syntax of addr_policy.h; NULL: none. Checked on every connection,
	 * redirects and reused connections included, after DNS resolution; a refusal ends the
	 * fetch with -EACCES, "connection to ADDRESS:PORT refused: KIND address (allow_private)".
	 */
	const char *allow_private;
	/* Credentials and network (NULL: not set). username and password authenticate to the
	 * feed's server (curl's auth: Basic, or what the server offers that curl can do; sent to
	 * the first host only, not across redirects); with username set, a user:password@ in url
	 * is ignored, else that userinfo authenticates. proxy: a curl proxy URL, "" for none at
	 * all; NULL leaves curl's environment variables (http_proxy, https_proxy, no_proxy...)
	 * in charge. cookie_file: a Netscape cookie file curl reads (never written). ca_file,
	 * client_cert, client_key: PEM files. tls_insecure: skip verifying the server's
	 * certificate and name (tls_verify = no). */
	const char *username, *password;
	const char *proxy;
	const char *cookie_file;
	const char *ca_file, *client_cert, *client_key;
	int tls_insecure;
};

struct fetch_result {
	int status;             /* HTTP status (200, 304, 404...), 0 when no response */
	int error;              /* 0, or a negative errno-style code when the transfer failed */
	char message[256];      /* human-readable outcome: "HTTP 503", "timeout after 60 s", ... */
	const char *effective_url;
	int permanent_redirect; /* every redirect followed was 301 or 308 */
	const char *redirect_target; /* the final URL when redirected */
	const char *etag, *last_modified, *content_type, *cache_control;
	int64_t expires;        /* Expires header, seconds since epoch, 0 when absent */
	int64_t retry_after;    /* absolute time from Retry-After, 0 when absent */
	size_t bytes;           /* body bytes delivered (decompressed) */
	/* Additions. */
	int redirects;          /* redirects followed */
	const char *location;   /* Location of the last response (a redirect not followed) */
};
/* With error set, status still holds the last status received (a body cut short after "200").
 * A file:// read that succeeded reports status 200. A non-200 answer whose body exceeds
 * max_bytes is still reported as that status with error 0 (the body is not delivered anyway).
 * A 200 whose body ends before its Content-Length (-EPROTO, or -ECONNRESET for a reset) or runs
 * past it (-EPROTO) is an error; data that arrived before a reset is still delivered.
 * expires is 1 (long past) for an invalid Expires such as "0". */

/* Body data as it arrives (decompressed). Return 0 to take it, FETCH_PAUSE to leave it and
 * pause the transfer (the same data comes again after fetch_resume), anything else to abort. */
#define FETCH_PAUSE 2
typedef int (*fetch_data_fn)(void *ud, const char *data, size_t n);
/* Called once per fetch, from the loop; the result's strings live until it returns. */
typedef void (*fetch_done_fn)(void *ud, const struct fetch_result *r);

/* max_total connections in all, max_per_host per host (CURLMOPT_MAX_*_CONNECTIONS). */
struct fetcher *fetcher_new(uv_loop_t *loop, int max_total, int max_per_host);
/* Starts a fetch; strings in req are copied. NULL on error (done is not called then). */
struct fetch *fetcher_start(struct fetcher *f, const struct fetch_request *req, fetch_data_fn data,
			    fetch_done_fn done, void *ud);
/* While a fetch runs (from its data callback): the current response's Content-Type and the
 * URL it came from (after redirects); NULL when not known yet. */
const char *fetch_content_type(const struct fetch *x);
const char *fetch_effective_url(const struct fetch *x);
/* Abandons a fetch: done is called with error -ECANCELED, later, from the loop (never inside
 * fetcher_cancel), so this is safe from any callback. x is invalid once done has returned.
 * A data callback returning non-zero also ends the fetch with -ECANCELED. */
void fetcher_cancel(struct fetch *x);
/* Resumes a transfer its data callback paused; the held data may be delivered before this
 * returns (the callback may pause again). Not from inside a data callback. The transfer's
 * timeout keeps running while it is paused: the time is the feed's own. */
void fetch_resume(struct fetch *x);
int fetch_paused(const struct fetch *x);
/* Whether pausing holds little (an HTTP body without Content-Encoding): otherwise the data
 * callback should take what comes (it is capped by max_bytes anyway). */
int fetch_can_pause(const struct fetch *x);
size_t fetcher_active(const struct fetcher *f);
/* Cancels everything and closes the handles; on_closed once the uv handles are closed. Safe
 * from any callback; f is freed before on_closed runs, and no fetch may start meanwhile. */
void fetcher_close(struct fetcher *f, void (*on_closed)(void *ud), void *ud);

#endif

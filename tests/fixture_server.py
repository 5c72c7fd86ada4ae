#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The project's local HTTP fixture server: misbehaving and well-behaved answers on 127.0.0.1.

Usage: fixture_server.py [--root DIR] [--verbose]

Listens on 127.0.0.1 on a free port, prints "PORT <n>" as its first line on stdout, and serves
(HTTP/1.1, one thread per connection) until killed or, when stdin is a pipe, until that pipe
closes, so it dies with the test that started it. Standard library only. Every loop and trickle
stops by itself after a few seconds or as soon as the client goes away.

Paths:
  /feed/NAME            the file NAME from --root, with ETag (a hash of the file),
                        Last-Modified and Cache-Control max-age=300 (?max_age=N sets it, -1
                        leaves the header out); 304 to a matching If-None-Match, or (without one) to an
                        If-Modified-Since not older than the file. ?gate=FILE holds the answer
                        until the file FILE exists in --root (at most 30 s): a test decides
                        when a fetch in flight ends.
  /gzip/NAME            the same, gzip-encoded when the client's Accept-Encoding allows gzip.
  /status/CODE          that status (200-599) with a short body, or ?bytes=N bytes (at most
                        64 MiB); ?retry_after=V adds "Retry-After: V" (seconds or an HTTP
                        date, URL-encoded).
  /redirect/CODE/PATH   a redirect of that code to /PATH (PATH may be another /redirect/...).
  /loop                 a 302 redirect to itself.
  /to?url=URL           a 302 redirect to URL (absolute; URL-encoded in the query).
  /scheme               a 302 redirect to ftp://127.0.0.1/ (clients must refuse it).
  /slow                 trickles a byte per interval: ?n=BYTES (default 10, at most 100) and
                        ?ms=INTERVAL (default 1000), with a Content-Length of n; the bytes are
                        "x", or with ?feed=1 the start of a feed (FEED_HEAD, then spaces).
  /hang                 reads the request and never answers (gives up after 10 s).
  /big?mb=N             an N MiB body (N at most 1024) with a Content-Length.
  /bomb                 a 1 MB gzip body that expands to 1 GiB (FEED_HEAD, then spaces: a
                        parser sees a feed that never ends), sent chunked (no Content-Length);
                        ?length=1 sends it with a Content-Length instead. Built
                        once in memory (zlib level 9, about 3 s) on first use; ?prepare=1 only
                        starts building it and answers 204 at once, or with &wait=1 once it is
                        built (503 after 120 s).
  /endless              a chunked body that never ends (FEED_HEAD, then comments; stops after
                        5 s without ending the body).
  /headers              a 200 with 1 MB of headers (1024 lines of 1 KB); ?line=1 sends one
                        header line of 1 MB instead.
  /reset                a 200 announcing 100000 bytes, 1000 sent (FEED_HEAD, then spaces),
                        then a TCP reset 0.1 s later; ?now=1 resets at once, so that the reset
                        usually reaches the client before it has read the data.
  /badlength            a 200 announcing 100000 bytes, 1000 sent, then a clean close; ?long=1
                        announces 1000 bytes and sends 2000 (in one write), then closes.
  /auth/USER/SHA/NAME   /feed/NAME to a request with HTTP Basic credentials USER:PASSWORD where
                        SHA is the SHA-256 (hex) of PASSWORD (so that the password is not in
                        the URL); 401 with "WWW-Authenticate: Basic" otherwise.
  /cookie/K/V/NAME      /feed/NAME to a request whose Cookie header holds K=V; 403 otherwise.
  http://HOST/PATH      a request in absolute form (the server used as an HTTP proxy): answered
                        as PATH, whatever HOST is (nothing is forwarded), and HOST counted in
                        "proxied".
  /stats                JSON: "requests" per path, "proxied" (hosts asked for through the
                        server as a proxy), "max_connections" (concurrent connections
                        seen, counted from their first request other than /stats or
                        /reset-stats: a test's probes are not counted), "max_concurrent" per path prefix ("/slow", ...: requests being
                        answered at the same time), "gzip_responses", and "conditional": per path,
                        one {"If-None-Match": v, "If-Modified-Since": v} per request, in
                        order (null when the header was absent).
  /reset-stats          clears the statistics (open connections stay counted).
"""

import argparse
import base64
import email.utils
import gzip
import hashlib
import io
import json
import os
import select
import socket
import stat
import struct
import sys
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = "."
VERBOSE = False
# The opening of a well-formed RSS feed: hostile bodies start with it so that a feed parser reading
# them meets the hostile part (the size, the trickle, the cut) rather than a syntax error.
FEED_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
             b'<title>hostile</title><link>http://127.0.0.1/</link>\n')


def feed_head(n):
    """The first n bytes of FEED_HEAD followed by spaces."""
    return (FEED_HEAD + b" " * max(0, n - len(FEED_HEAD)))[:n]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.clear()

    def clear(self):
        with self.lock:
            self.requests = {}
            self.max_connections = self.connections
            # Requests still being answered stay counted (and end later).
            self.active = {k: v for k, v in getattr(self, "active", {}).items() if v > 0}
            self.max_concurrent = dict(self.active)
            self.gzip_responses = 0
            self.conditional = {}
            self.proxied = {}

    def connect(self, delta):
        with self.lock:
            self.connections += delta
            self.max_connections = max(self.max_connections, self.connections)

    def begin(self, path, prefix, inm, ims):
        with self.lock:
            self.requests[path] = self.requests.get(path, 0) + 1
            self.active[prefix] = self.active.get(prefix, 0) + 1
            self.max_concurrent[prefix] = max(self.max_concurrent.get(prefix, 0),
                                              self.active[prefix])
            self.conditional.setdefault(path, []).append(
                {"If-None-Match": inm, "If-Modified-Since": ims})

    def end(self, prefix):
        with self.lock:
            self.active[prefix] = max(0, self.active.get(prefix, 0) - 1)

    def proxy(self, host):
        with self.lock:
            self.proxied[host] = self.proxied.get(host, 0) + 1

    def gzipped(self):
        with self.lock:
            self.gzip_responses += 1

    def json(self):
        with self.lock:
            return json.dumps({
                "requests": self.requests,
                "max_connections": self.max_connections,
                "max_concurrent": self.max_concurrent,
                "gzip_responses": self.gzip_responses,
                "conditional": self.conditional,
                "proxied": self.proxied,
            }, indent=1, sort_keys=True)


STATS = Stats()


class Bomb:
    """1 GiB (FEED_HEAD, then spaces) gzip-compressed at level 9 (about 1 MB), built once in the
    background."""

    def __init__(self):
        self.ready = threading.Event()
        self.started = False
        self.lock = threading.Lock()
        self.data = b""

    def start(self):
        with self.lock:
            if not self.started:
                self.started = True
                threading.Thread(target=self.build, daemon=True).start()

    def build(self):
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
        spaces = b" " * (1 << 20)
        parts = [comp.compress(FEED_HEAD)]
        parts += [comp.compress(spaces) for _ in range(1023)]
        parts.append(comp.compress(spaces[len(FEED_HEAD):]))
        parts.append(comp.flush())
        self.data = b"".join(parts)
        self.ready.set()


BOMB = None


def client_gone(sock):
    """True when the peer closed or reset the connection (non-blocking check)."""
    try:
        r, _, _ = select.select([sock], [], [], 0)
        if not r:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "feedspool-fixture/1"
    timeout = 15  # idle keep-alive connections and blocked writes give up

    def log_message(self, fmt, *args):
        if VERBOSE:
            sys.stderr.write("fixture: " + (fmt % args) + "\n")

    def setup(self):
        super().setup()
        self.connection_counted = False

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        if self.connection_counted:
            STATS.connect(-1)

    # Helpers.

    def reply(self, code, body=b"", ctype="text/plain", headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        if code >= 200 and code not in (204, 304):
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and code >= 200 and code not in (204, 304):
            # in 64 KiB writes: the timeout is per write (as nginx's send_timeout), so a client
            # that reads a large body slowly, as it parses, is not cut off after 15 s in all
            for at in range(0, len(body), 65536):
                self.wfile.write(body[at:at + 65536])

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def query_int(self, query, name, default, lo, hi):
        try:
            v = int(query.get(name, [default])[0])
        except ValueError:
            v = default
        return max(lo, min(hi, v))

    # Dispatch.

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.scheme == "http" and url.netloc:
            STATS.proxy(url.netloc)
        path = url.path
        query = urllib.parse.parse_qs(url.query)
        parts = path.split("/")
        prefix = "/" + parts[1] if len(parts) > 1 else "/"
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        self.counted = None
        if path not in ("/stats", "/reset-stats"):
            if not self.connection_counted:
                STATS.connect(1)
                self.connection_counted = True
            STATS.begin(path, prefix, inm, ims)
            self.counted = prefix
        try:
            self.route(path, parts, query, url.query)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.uncount()

    def uncount(self):
        """Ends this request in the concurrency count; before the last byte where that matters,
        so that a client that has the whole body never sees the request still counted."""
        if self.counted is not None:
            STATS.end(self.counted)
            self.counted = None

    def route(self, path, parts, query, raw_query):
        if prefix_is(parts, "feed") and len(parts) == 3:
            self.wait_gate(query.get("gate", [None])[0])
            return self.serve_file(parts[2], False, self.query_int(query, "max_age", 300, -1, 86400))
        if prefix_is(parts, "gzip") and len(parts) == 3:
            return self.serve_file(parts[2], True, self.query_int(query, "max_age", 300, -1, 86400))
        if prefix_is(parts, "auth") and len(parts) == 5:
            try:
                user, _, pw = base64.b64decode(
                    self.headers.get("Authorization", "").removeprefix("Basic ")).partition(b":")
            except ValueError:
                user, pw = b"", b""
            if user != parts[2].encode() or hashlib.sha256(pw).hexdigest() != parts[3]:
                return self.reply(401, b"credentials needed\n",
                                  headers=[("WWW-Authenticate", 'Basic realm="fixture"')])
            return self.serve_file(parts[4], False)
        if prefix_is(parts, "cookie") and len(parts) == 5:
            cookies = [c.strip() for c in self.headers.get("Cookie", "").split(";")]
            if "%s=%s" % (parts[2], parts[3]) not in cookies:
                return self.reply(403, b"cookie needed\n")
            return self.serve_file(parts[4], False)
        if prefix_is(parts, "status") and len(parts) == 3 and parts[2].isdigit():
            headers = []
            if "retry_after" in query:
                headers.append(("Retry-After", query["retry_after"][0]))
            code = int(parts[2])
            if code < 200 or code > 599:
                return self.reply(400, b"bad status\n")
            body = b"status %d\n" % code
            if "bytes" in query:
                body = b"e" * self.query_int(query, "bytes", 0, 0, 64 << 20)
            return self.reply(code, body, headers=headers)
        if prefix_is(parts, "redirect") and len(parts) >= 4 and parts[2].isdigit():
            target = "/" + "/".join(parts[3:]) + ("?" + raw_query if raw_query else "")
            return self.reply(int(parts[2]), b"see " + target.encode() + b"\n",
                              headers=[("Location", target)])
        if path == "/to" and "url" in query:
            return self.reply(302, b"elsewhere\n", headers=[("Location", query["url"][0])])
        if path == "/loop":
            return self.reply(302, b"again\n", headers=[("Location", "/loop")])
        if path == "/scheme":
            return self.reply(302, b"elsewhere\n", headers=[("Location", "ftp://127.0.0.1/")])
        if path == "/slow":
            return self.slow(self.query_int(query, "n", 10, 1, 100),
                             self.query_int(query, "ms", 1000, 1, 5000),
                             query.get("feed", ["0"])[0] == "1")
        if path == "/hang":
            return self.hang()
        if path == "/big":
            return self.big(self.query_int(query, "mb", 1, 0, 1024))
        if path == "/bomb":
            return self.bomb(query.get("length", ["0"])[0] == "1",
                             query.get("prepare", ["0"])[0] == "1",
                             query.get("wait", ["0"])[0] == "1")
        if path == "/endless":
            return self.endless()
        if path == "/headers":
            return self.many_headers(query.get("line", ["0"])[0] == "1")
        if path == "/reset":
            return self.truncated(True, query.get("now", ["0"])[0] == "1")
        if path == "/badlength":
            if query.get("long", ["0"])[0] == "1":
                return self.overlong()
            return self.truncated(False)
        if path == "/stats":
            return self.reply(200, STATS.json().encode(), "application/json")
        if path == "/reset-stats":
            STATS.clear()
            return self.reply(200, b"cleared\n")
        return self.reply(404, b"no such fixture\n")

    # Behaviours.

    def wait_gate(self, name):
        if not name or name.startswith(".") or "/" in name:
            return
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(ROOT, name)) and time.monotonic() < deadline:
            time.sleep(0.02)

    def serve_file(self, name, allow_gzip, max_age=300):
        if name.startswith(".") or "/" in name or "\\" in name:
            return self.reply(404, b"bad name\n")
        try:
            with open(os.path.join(ROOT, name), "rb") as fp:
                body = fp.read()
                mtime = int(os.fstat(fp.fileno()).st_mtime)
        except OSError:
            return self.reply(404, b"no such file\n")
        use_gzip = allow_gzip and "gzip" in self.headers.get("Accept-Encoding", "")
        etag = '"%s%s"' % (hashlib.sha256(body).hexdigest()[:20], "-gz" if use_gzip else "")
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        validators = [("ETag", etag), ("Last-Modified", last_modified)]
        if max_age >= 0:
            validators.append(("Cache-Control", "max-age=%d" % max_age))
        if allow_gzip:
            validators.append(("Vary", "Accept-Encoding"))
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            if "*" in tags or etag in tags or ("W/" + etag) in tags:
                return self.reply(304, headers=validators)
        elif ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                since = None
            if since is not None and mtime <= since:
                return self.reply(304, headers=validators)
        ctype = "application/xml"
        if name.endswith(".rss"):
            ctype = "application/rss+xml"
        elif name.endswith(".atom"):
            ctype = "application/atom+xml"
        elif name.endswith(".html"):
            ctype = "text/html; charset=utf-8"
        if use_gzip:
            STATS.gzipped()
            return self.reply(200, gzip.compress(body), ctype,
                              validators + [("Content-Encoding", "gzip")])
        return self.reply(200, body, ctype, validators)

    def slow(self, n, interval_ms, feed):
        body = feed_head(n) if feed else b"x" * n
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        self.wfile.flush()
        for i in range(n):
            if i:
                time.sleep(interval_ms / 1000.0)
                if client_gone(self.connection):
                    self.close_connection = True
                    return
            if i == n - 1:
                self.uncount()
            self.wfile.write(body[i:i + 1])

    def hang(self):
        self.close_connection = True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if client_gone(self.connection):
                return
            time.sleep(0.05)

    def big(self, mb):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(mb << 20))
        self.end_headers()
        block = b"b" * (1 << 16)
        for _ in range(mb * 16):
            self.wfile.write(block)

    def bomb(self, with_length, prepare, wait):
        BOMB.start()
        if prepare and wait and not BOMB.ready.wait(120):
            return self.reply(503, b"bomb not built\n")
        if prepare:
            return self.reply(204)
        if not BOMB.ready.wait(60):
            return self.reply(503, b"bomb not built\n")
        data = BOMB.data
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Encoding", "gzip")
        if with_length:
            self.send_header("Content-Length", str(len(data)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        step = 1 << 14
        for off in range(0, len(data), step):
            if with_length:
                self.wfile.write(data[off:off + step])
            else:
                self.chunk(data[off:off + step])
        if not with_length:
            self.wfile.write(b"0\r\n\r\n")

    def endless(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.chunk(FEED_HEAD)
        block = b"<!-- and more -->\n" * 500
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            self.chunk(block)
        self.close_connection = True  # stop without ending the body properly

    def many_headers(self, one_line):
        self.send_response(200)
        if one_line:
            self.send_header("X-Filler", "f" * (1 << 20))
        else:
            filler = "f" * 1000
            for i in range(1024):
                self.send_header("X-Filler-%04d" % i, filler)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def truncated(self, reset, at_once=False):
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(feed_head(1000))
        self.wfile.flush()
        self.close_connection = True
        if reset:
            # Linger 0: close() sends RST instead of FIN. Close every reference now so that the
            # server's own shutdown(SHUT_WR) cannot send a FIN first.
            if not at_once:
                time.sleep(0.1)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.wfile.close()
            self.connection.close()
            self.rfile, self.wfile = io.BytesIO(), io.BytesIO()  # for the server's final flush


    def overlong(self):
        """More body than the Content-Length announces, sent with the headers in one write so that
        the client reads the excess together with the announced body."""
        self.close_connection = True
        self.log_request(200)
        self.wfile.write(b"HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: application/xml\r\n"
                         b"Content-Length: 1000\r\n\r\n%s"
                         % (self.version_string().encode(), feed_head(2000)))
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Clients that hang up (cancelled fetches, TLS probes) are part of the tests."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)) and not VERBOSE:
            return
        super().handle_error(request, client_address)


def prefix_is(parts, name):
    return len(parts) > 1 and parts[1] == name


def stdin_is_pipe():
    """Only a pipe's end of file means "the test went away": a closed stdin (<&-), /dev/null (a
    background job in a script) or a terminal do not."""
    if sys.stdin is None:
        return False
    try:
        return stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def watch_stdin():
    """Exits the whole process once stdin reaches end of file (the test went away)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    os._exit(0)


def main():
    global ROOT, VERBOSE, BOMB
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=".", help="directory served under /feed/ and /gzip/")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args()
    ROOT = args.root
    VERBOSE = args.verbose
    BOMB = Bomb()

    watch = stdin_is_pipe()  # before any socket can take a closed fd 0
    server = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write("PORT %d\n" % server.server_address[1])
    sys.stdout.flush()
    if watch:
        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

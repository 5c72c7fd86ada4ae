#!/bin/sh
# SPDX-License-Identifier: MIT
# `feedspool run` and a host that answers 429 with Retry-After: every feed of that host waits
# until then, while feeds of other hosts keep their schedule. The control feed, on another host
# name for the same local server, is polled every second; once it has been fetched four times,
# the held host's other feed must still have been fetched at most once (at start-up).
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
need curl
start_fixture_server "$FIXTURES/seed-feeds"
daemon=
trap 'kill $server $daemon 2>/dev/null; rm -rf "$TMP"' EXIT
count() { curl -s "http://127.0.0.1:$PORT/stats" | jq --arg p "$1" '.requests[$p] // 0'; }

cat >"$TMP/feedspool.conf" <<EOF2
[feedspool]
state = state.db
spool = spool
allow_private = 127.0.0.1
interval = 1s
min_interval = 1s
jitter = 0
[feed busy]
url = http://127.0.0.1:$PORT/status/429?retry_after=3600
[feed sibling]
url = http://127.0.0.1:$PORT/feed/outlet-a.rss
[feed control]
url = http://localhost:$PORT/feed/outlet-b.atom?max_age=-1
EOF2
"$FEEDSPOOL" run -c "$TMP/feedspool.conf" 2>"$TMP/run.err" &
daemon=$!
i=0
while [ "$(count /feed/outlet-b.atom)" -lt 4 ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || { fail "the control feed was not polled 4 times in 30 s"; break; }
	sleep 0.1
done
expect_eq "the 429 was asked for" "$(count /status/429)" 1
checks=$((checks + 1))
[ "$(count /feed/outlet-a.rss)" -le 1 ] || fail "the held host's other feed was fetched $(count /feed/outlet-a.rss) times"
check "the hold is logged ($(grep -i hold "$TMP/run.err"))" grep -q "host 127.0.0.1:$PORT asked to wait" "$TMP/run.err"
kill -TERM $daemon
wait $daemon
expect_eq "SIGTERM stops the daemon with 0" "$?" 0
daemon=
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# A running daemon seen and steered by operators: `metrics = 127.0.0.1:PORT` serves Prometheus
# text that promtool accepts, with the fetches and articles the daemon made, and /healthz;
# `feedspool ctl` over the control socket beside the state (0660) refreshes, pauses and
# resumes feeds (seen in the fixture server's request counts) and reports every feed's state.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
need curl
need promtool
SEEDS=$FIXTURES/seed-feeds

start_fixture_server "$SEEDS"
trap 'kill $server $daemon 2>/dev/null; rm -rf "$TMP"' EXIT
requests() { curl -s "$BASE/stats" | jq ".requests[\"/feed/$1\"] // 0"; }
MPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
D=$TMP/run
mkdir -p "$D"
cat >"$D/feedspool.conf" <<EOF2
[feedspool]
state = state.db
spool = spool
allow_private = 127.0.0.1
metrics = 127.0.0.1:$MPORT
interval = 1h
jitter = 0
[feed outlet-a]
url = $BASE/feed/outlet-a.rss
[feed outlet-b]
url = $BASE/feed/outlet-b.atom
[feed outlet-c]
url = $BASE/feed/outlet-c.rdf
EOF2
ctl() { "$FEEDSPOOL" ctl -c "$D/feedspool.conf" "$@"; }

"$FEEDSPOOL" run -c "$D/feedspool.conf" 2>"$TMP/log" &
daemon=$!
landed() { [ "$(grep -c ': ok' "$TMP/log")" -ge 3 ]; }
wait_for "the three feeds are fetched ($(cat "$TMP/log"))" 30 landed

# --- metrics ---------------------------------------------------------------------------------
metrics() { curl -s "http://127.0.0.1:$MPORT/metrics"; }
counted() { metrics | grep -q '^feedspool_fetches_total{result="ok"} 3$'; }
wait_for "the metrics count the three fetches ($(metrics | grep fetches_total))" 10 counted
metrics >"$TMP/metrics"
check "promtool check metrics accepts /metrics ($(promtool check metrics <"$TMP/metrics" 2>&1))" \
	sh -c "promtool check metrics <'$TMP/metrics'"
expect_eq "new articles in the metrics are the files in new/" \
	"$(sed -n 's/^feedspool_articles_total{fate="new"} //p' "$TMP/metrics")" \
	"$(ls "$D/spool/new" | grep -c '\.json$')"
expect_eq "three feeds configured" "$(sed -n 's/^feedspool_feeds //p' "$TMP/metrics")" 3
expect_eq "none failing" "$(sed -n 's/^feedspool_feeds_failing //p' "$TMP/metrics")" 0
expect_eq "every fetch in the duration histogram" \
	"$(sed -n 's/^feedspool_fetch_duration_seconds_count //p' "$TMP/metrics")" 3
expect_eq "/healthz answers ok" "$(curl -s -w ' %{http_code}' "http://127.0.0.1:$MPORT/healthz")" "ok
 200"

# --- the control socket ----------------------------------------------------------------------
expect_eq "the control socket is beside the state, mode 0660" \
	"$(stat -c %a "$D/feedspool.ctl" 2>&1)" 660
ctl status --json >"$TMP/status"
expect_eq "ctl status --json: every feed, idle, with its last result" \
	"$(jq -r '.feeds[] | [.name, .state, .paused, (.last_result | startswith("ok"))] | @tsv' "$TMP/status" | tr '\t' ' ')" \
	"outlet-a idle false true
outlet-b idle false true
outlet-c idle false true"
ctl status >"$TMP/table"
check "ctl status prints a table" grep -q '^outlet-b ' "$TMP/table"

a0=$(requests outlet-a.rss)
b0=$(requests outlet-b.atom)
check "ctl pause outlet-a" ctl pause outlet-a
ctl refresh outlet-a 2>"$TMP/err"
expect_eq "a paused feed is not refreshed (exit 1)" "$?" 1
expect_eq "and ctl says why" "$(cat "$TMP/err")" "feedspool ctl: feed outlet-a is paused (resume it first)"
check "ctl refresh --all" ctl refresh --all
more_b() { [ "$(requests outlet-b.atom)" -gt "$b0" ]; }
wait_for "refresh --all fetches outlet-b again" 10 more_b
refreshed() { [ "$(grep -c 'feed outlet-b: 304\|feed outlet-b: not modified\|feed outlet-b: ok' "$TMP/log")" -ge 2 ]; }
wait_for "and records it" 10 refreshed
expect_eq "the paused feed was left alone" "$(requests outlet-a.rss)" "$a0"
expect_eq "ctl status shows the pause" "$(ctl status --json | jq -r '.feeds[] | select(.name == "outlet-a") | .paused')" true
check "ctl resume outlet-a" ctl resume outlet-a
check "ctl refresh outlet-a" ctl refresh outlet-a
more_a() { [ "$(requests outlet-a.rss)" -gt "$a0" ]; }
wait_for "a resumed feed is refreshed" 10 more_a
ctl refresh nosuch 2>"$TMP/err"
expect_eq "an unknown feed: exit 1" "$?" 1
expect_eq "an unknown feed: named" "$(cat "$TMP/err")" "feedspool ctl: no feed named nosuch"
ctl frobnicate 2>/dev/null
expect_eq "an unknown command: usage, exit 2" "$?" 2

kill -TERM $daemon
wait $daemon
expect_eq "the daemon stops with exit 0" "$?" 0
check "the control socket is removed at stop" test ! -e "$D/feedspool.ctl"
"$FEEDSPOOL" ctl -c "$D/feedspool.conf" status 2>"$TMP/err"
expect_eq "no daemon: exit 1" "$?" 1
check "no daemon: the message says so ($(cat "$TMP/err"))" grep -q 'is the daemon running' "$TMP/err"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# The daemon against the local fixture server (tests/fixture_server.py on 127.0.0.1): the seed
# feeds land in the spool exactly once with their text renderings; a second pass sends
# conditional requests and writes nothing; compression, redirects (301 moves the feed when it
# holds, 302 never), 404/410/5xx, timeouts, the body cap, the per-host connection limit, and a
# 429 Retry-After that holds every feed of its host.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
SEEDS=$FIXTURES/seed-feeds

start_fixture_server "$SEEDS"
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
stats() { curl -s "$BASE/stats"; }

# config DIR [EXTRA GLOBAL LINES] < feeds: writes DIR/feedspool.conf
config() {
	mkdir -p "$1"
	{
		echo "[feedspool]"
		echo "state = state.db"
		echo "spool = spool"
		echo "allow_private = 127.0.0.1"
		echo "format = json+text"
		echo "interval = 30m"
		echo "jitter = 0"
		echo "timeout = 3s"
		echo "connect_timeout = 2s"
		[ -n "${2:-}" ] && printf '%s\n' "$2"
		cat
	} >"$1/feedspool.conf"
}

# --- the seed feeds, twice -----------------------------------------------------------------
curl -s "$BASE/reset-stats" >/dev/null
config "$TMP/seed" <<EOF
[feed outlet-a]
url = $BASE/feed/outlet-a.rss
[feed outlet-b]
url = $BASE/gzip/outlet-b.atom
[feed outlet-c]
url = $BASE/feed/outlet-c.rdf
EOF
"$FEEDSPOOL" once -c "$TMP/seed/feedspool.conf" 2>"$TMP/once1.err"
expect_eq "the first pass over the seed feeds succeeds ($(cat "$TMP/once1.err"))" "$?" 0
expect_eq "nine articles land in new/" "$(ls "$TMP/seed/spool/new" | grep -c '\.json$')" 9
expect_eq "each with its text rendering" "$(ls "$TMP/seed/spool/new" | grep -c '\.txt$')" 9
expect_eq "tmp/ is empty" "$(ls "$TMP/seed/spool/tmp" | wc -l | tr -d ' ')" 0
expect_renderings "" "$SEEDS/expected" "$TMP/seed/spool/new"
for f in "$TMP"/seed/spool/new/*.json; do
	checks=$((checks + 1))
	id=$(jq -r '.schema == 1 and (.id | test("^[0-9a-f]{16}$"))' "$f")
	[ "$id" = true ] || fail "$f is not a schema 1 article"
	[ "$(jq -r .id "$f").json" = "$(basename "$f")" ] || fail "$f is not named after its id"
done
expect_eq "the gzip-encoded feed was served compressed" "$(stats | jq '.gzip_responses >= 1')" true

"$FEEDSPOOL" once -c "$TMP/seed/feedspool.conf" 2>"$TMP/once2.err"
expect_eq "the second pass succeeds" "$?" 0
expect_eq "the second pass writes nothing" "$(ls "$TMP/seed/spool/new" | grep -c '\.json$')" 9
expect_eq "the second pass sends If-None-Match for outlet-a" \
	"$(stats | jq -r '.conditional["/feed/outlet-a.rss"] | length >= 2 and (.[-1]["If-None-Match"] != null)')" true
check "the second pass reports 'not modified' ($(cat "$TMP/once2.err"))" grep -q "not modified" "$TMP/once2.err"
"$FEEDSPOOL" feeds -c "$TMP/seed/feedspool.conf" >"$TMP/feeds.out"
check "feeds shows outlet-a's last result" grep -q "not modified" "$TMP/feeds.out"
# feeds reads the state in one pass: a feed the state does not know yet is "never fetched", every
# configured feed gets one block, in the configuration's order
cp "$TMP/seed/feedspool.conf" "$TMP/seed/more.conf"
printf '[feed newcomer]\nurl = %s/feed/outlet-a.rss\n' "$BASE" >>"$TMP/seed/more.conf"
"$FEEDSPOOL" feeds -c "$TMP/seed/more.conf" >"$TMP/feeds.out"
expect_eq "feeds: one block per configured feed, in order" \
	"$(grep -v '^ ' "$TMP/feeds.out" | grep -v '^$' | grep -v '^filters' | tr '\n' ' ')" \
	"$(sed -n 's/^\[feed \(.*\)\]$/\1/p' "$TMP/seed/more.conf" | tr '\n' ' ')"
check "feeds: a feed not fetched yet says so" sh -c "grep -A2 -x newcomer '$TMP/feeds.out' | grep -q 'never fetched'"

# --- statuses, redirects, timeouts, the cap ----------------------------------------------------
config "$TMP/errors" "max_bytes = 1M" <<EOF
[feed gone]
url = $BASE/status/410
[feed missing]
url = $BASE/status/404
[feed broken]
url = $BASE/status/500
[feed moved]
url = $BASE/redirect/301/feed/outlet-a.rss
[feed temporary]
url = $BASE/redirect/302/feed/outlet-b.atom
[feed hangs]
url = $BASE/hang
timeout = 2s
[feed huge]
url = $BASE/big?mb=4
[feed scheme]
url = $BASE/scheme
EOF
"$FEEDSPOOL" once -c "$TMP/errors/feedspool.conf" 2>"$TMP/errors1.err"
expect_eq "a pass with failing feeds exits 1" "$?" 1
"$FEEDSPOOL" feeds -c "$TMP/errors/feedspool.conf" >"$TMP/errors.feeds"
block() { awk -v n="$1" '$0 == n {p = 1; next} /^[^ ]/ {p = 0} p' "$TMP/errors.feeds"; }
has() { block "$1" | grep -q -- "$2"; }
check "410 retires the feed ($(block gone | tr '\n' ' '))" has gone 'retired'
check "404 is a failure ($(block missing | tr '\n' ' '))" has missing 'HTTP 404'
check "500 is a failure with backoff ($(block broken | tr '\n' ' '))" has broken 'backoff: 1 failure'
check "a server that never answers times out ($(block hangs | tr '\n' ' '))" has hangs 'timeout'
check "a body over the cap is refused ($(block huge | tr '\n' ' '))" has huge 'larger than'
check "a redirect to another scheme is refused ($(block scheme | tr '\n' ' '))" has scheme 'error'
check "every failure is logged with the feed's name" grep -q "feed missing: error: HTTP 404" "$TMP/errors1.err"

# the 301 moves the feed once it holds on the next fetch; the 302 never does
"$FEEDSPOOL" once -c "$TMP/errors/feedspool.conf" 2>"$TMP/errors2.err"
"$FEEDSPOOL" feeds -c "$TMP/errors/feedspool.conf" >"$TMP/errors.feeds"
check "a 301 that holds moves the feed ($(block moved | tr '\n' ' '))" has moved "url       $BASE/feed/outlet-a.rss"
check "and the move is logged" grep -q "feed moved: moved permanently" "$TMP/errors2.err"
check "a 302 never moves the feed ($(block temporary | tr '\n' ' '))" has temporary "url       $BASE/redirect/302/"

# --- the per-host connection limit, seen at the server ------------------------------------------
curl -s "$BASE/reset-stats" >/dev/null
{
	for n in 1 2 3 4 5 6; do
		printf '[feed slow%s]\nurl = %s/slow?n=3&ms=300&k=%s\n' "$n" "$BASE" "$n"
	done
} | config "$TMP/polite" "max_per_host = 2"
"$FEEDSPOOL" once -c "$TMP/polite/feedspool.conf" 2>"$TMP/polite.err"
expect_eq "at most 2 connections to one host at a time" "$(stats | jq '.max_concurrent["/slow"]')" 2
finish

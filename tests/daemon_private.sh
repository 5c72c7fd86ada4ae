#!/bin/sh
# SPDX-License-Identifier: MIT
# The fetcher cannot be steered inward: a feed on an internal address (here the fixture server
# on 127.0.0.1) is refused unless allow_private names it, globally or per feed, and so is a
# redirect from an allowed address to one that is not (127.0.0.2, or another port); the error
# names the feed and the address, and no request reaches the refused address.
. "${top_srcdir:-.}/tests/lib.sh"
need python3
need jq
need curl
start_fixture_server "$FIXTURES/seed-feeds"
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
requests() { curl -s "$BASE/stats" | jq --arg p "$1" '.requests[$p] // 0'; }
OTHER=$((PORT == 65535 ? 1 : PORT + 1))
enc() { jq -rn --arg u "$1" '$u | @uri'; }

run_once() { # run_once NAME GLOBAL_ALLOW [FEED LINES...]: once in $TMP/NAME; stderr in NAME.err
	_d=$TMP/$1
	mkdir -p "$_d"
	{
		printf '[feedspool]\nstate = state.db\nspool = spool\n'
		[ -z "$2" ] || printf 'allow_private = %s\n' "$2"
		shift 2
		printf '%s\n' "$@"
	} >"$_d/feedspool.conf"
	"$FEEDSPOOL" once -c "$_d/feedspool.conf" >/dev/null 2>"$_d.err"
}

# --- no allow_private: refused before any request --------------------------------------------
curl -s "$BASE/reset-stats" >/dev/null
run_once none "" "[feed local]" "url = $BASE/feed/outlet-a.rss"
expect_eq "once fails on a refused feed ($(cat "$TMP/none.err"))" "$?" 1
check "the error names the feed and the address" grep -q \
	"feed local: error: connection to 127.0.0.1:$PORT refused: loopback address (allow_private)" \
	"$TMP/none.err"
expect_eq "no request reached the server" "$(requests /feed/outlet-a.rss)" 0
expect_eq "nothing was written" "$(ls "$TMP/none/spool/new" 2>/dev/null | wc -l)" 0
# a host name that resolves to loopback is judged by its address
run_once name "" "[feed local]" "url = http://localhost:$PORT/feed/outlet-a.rss"
check "localhost is refused by its address ($(grep 'feed local' "$TMP/name.err"))" grep -Eq \
	"feed local: error: connection to (127.0.0.1:$PORT|\[::1\]:$PORT) refused: loopback address" \
	"$TMP/name.err"

# --- allowed globally, per feed, by yes; one feed's allowance is not another's ----------------
run_once global "127.0.0.1:$PORT" "[feed local]" "url = $BASE/feed/outlet-a.rss"
expect_eq "allow_private = 127.0.0.1:PORT lets it through ($(cat "$TMP/global.err"))" "$?" 0
expect_eq "its articles are written" "$(ls "$TMP/global/spool/new" | grep -c '\.json$')" 3
run_once perfeed "" "[feed local]" "url = $BASE/feed/outlet-a.rss" "allow_private = 127.0.0.0/8" \
	"[feed other]" "url = $BASE/feed/outlet-b.atom"
expect_eq "once fails: one feed is allowed, the other not" "$?" 1
check "the allowed feed is fetched" grep -q "feed local: ok: 3 new" "$TMP/perfeed.err"
check "the other is refused" grep -q \
	"feed other: error: connection to 127.0.0.1:$PORT refused: loopback address (allow_private)" \
	"$TMP/perfeed.err"
run_once yes yes "[feed local]" "url = $BASE/feed/outlet-a.rss"
expect_eq "allow_private = yes lets it through ($(cat "$TMP/yes.err"))" "$?" 0

# --- redirects from an allowed address to one that is not -------------------------------------
curl -s "$BASE/reset-stats" >/dev/null
run_once redirect "127.0.0.1:$PORT" \
	"[feed to-ip]" "url = $BASE/to?url=$(enc "http://127.0.0.2:$PORT/feed/outlet-a.rss")" \
	"[feed to-port]" "url = $BASE/to?url=$(enc "http://127.0.0.1:$OTHER/feed/outlet-a.rss")" \
	"[feed to-ok]" "url = $BASE/to?url=$(enc "$BASE/feed/outlet-b.atom")"
expect_eq "once fails on the refused redirects" "$?" 1
check "a redirect to 127.0.0.2 is refused ($(grep 'to-ip' "$TMP/redirect.err"))" grep -q \
	"feed to-ip: error: connection to 127.0.0.2:$PORT refused: loopback address (allow_private)" \
	"$TMP/redirect.err"
check "a redirect to another port is refused ($(grep 'to-port' "$TMP/redirect.err"))" grep -q \
	"feed to-port: error: connection to 127.0.0.1:$OTHER refused: loopback address (allow_private)" \
	"$TMP/redirect.err"
check "a redirect to the allowed address is followed" grep -q "feed to-ok: ok: " "$TMP/redirect.err"
expect_eq "the redirect itself was asked for" "$(requests /to)" 3

# --- the key itself ---------------------------------------------------------------------------
mkdir -p "$TMP/bad"
printf '[feedspool]\nstate = state.db\nspool = spool\nallow_private = localhost\n' >"$TMP/bad/feedspool.conf"
"$FEEDSPOOL" check -c "$TMP/bad/feedspool.conf" >/dev/null 2>"$TMP/bad.err"
expect_eq "check refuses a host name in allow_private" "$?" 1
check "... naming the line ($(cat "$TMP/bad.err"))" grep -q \
	"feedspool.conf:4: \[feedspool\] allow_private: \"localhost\" is not an address" "$TMP/bad.err"
"$FEEDSPOOL" check -c "$TMP/perfeed/feedspool.conf" >"$TMP/check.out" 2>&1
check "check shows the default and the feed's own" grep -q \
	"^allow_private = no$" "$TMP/check.out"
check "... and the feed's own" grep -q "^feed local .* allow_private=127.0.0.0/8" "$TMP/check.out"
finish

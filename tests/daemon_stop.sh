#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGTERM and SIGINT stop `run` within 5 s whatever is in flight: here the parse and the
# pipeline run of a 200,000-item feed (issue 10). Exit 0; the abandoned fetch is not recorded
# (no validators saved, `feeds` says it was never fetched), and the next start fetches it
# again without validators.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
mkdir -p "$TMP/www"
sh "${top_srcdir:-.}/tests/gen_bare_feed.sh" 200000 big >"$TMP/www/big.rss" || exit 99
sh "${top_srcdir:-.}/tests/gen_bare_feed.sh" 20 small >"$TMP/www/small.rss" || exit 99
start_fixture_server "$TMP/www"
trap 'kill $server $daemon 2>/dev/null; rm -rf "$TMP"' EXIT
printf '[feedspool]\nstate = %s/state.db\nspool = %s/spool\nallow_private = 127.0.0.1\nnear_duplicates = no\nmax_pending = 1000000\n[feed big]\nurl = %s/feed/big.rss\n[feed small]\nurl = %s/feed/small.rss\n' \
	"$TMP" "$TMP" "$BASE" "$BASE" >"$TMP/feedspool.conf"

# more than the small feed's 20 articles in tmp/ and new/: the big feed's run is under way
written() { [ "$(ls "$TMP/spool/tmp" "$TMP/spool/new" 2>/dev/null | grep -c '\.json$')" -ge $(($1 + 20)) ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_during SIGNAL N: starts `run`, waits until the big feed's run is under way, sends the
# signal and expects the process gone within 5 s, with exit 0.
stop_during() {
	"$FEEDSPOOL" run -c "$TMP/feedspool.conf" 2>"$TMP/run-$1.err" &
	daemon=$!
	wait_for "$1: the big feed's articles start to arrive" 60 written "$2" || return
	kill -"$1" $daemon
	wait_for "$1: the daemon is gone within 5 s of the signal ($(tail -3 "$TMP/run-$1.err" | tr '\n' ' '))" 5 gone $daemon
	wait $daemon
	expect_eq "$1: exit status" "$?" 0
	daemon=
	check "$1: the stop is logged" grep -q "$1: stopping" "$TMP/run-$1.err"
	checks=$((checks + 1))
	grep -q "feed big: ok" "$TMP/run-$1.err" && fail "$1: the big feed was recorded although it was stopped"
}

stop_during TERM 50
checks=$((checks + 1))
"$FEEDSPOOL" feeds -c "$TMP/feedspool.conf" | awk '$0 == "big" {p = 1; next} /^[^ ]/ {p = 0} p && /^  last/' |
	grep -q "never" || fail "the big feed's abandoned fetch was recorded: $("$FEEDSPOOL" feeds -c "$TMP/feedspool.conf" | grep -A3 '^big')"
before=$(ls "$TMP/spool/new" | grep -c '\.json$')
stop_during INT $((before + 50))
# the second start asked again without validators: nothing was saved for big
inm=$(curl -s "$BASE/stats" | jq -r '.conditional["/feed/big.rss"] | map(.["If-None-Match"]) | map(select(. != null)) | length')
expect_eq "the big feed is fetched again without validators" "$inm" 0
ids=$(find "$TMP/spool/new" -name '*.json' -exec cat {} + | jq -r .guid | sort | uniq -d | wc -l)
expect_eq "no article is written twice" "$ids" 0
finish

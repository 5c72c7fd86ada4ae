#!/bin/sh
# SPDX-License-Identifier: MIT
# Reload under load (issue 10): SIGHUP while fetches are in flight (trickling bodies) and while
# pipeline runs are in progress (100,000-item feeds): feeds removed, added and given a new URL.
# The daemon keeps running (the old core died with SIGSEGV), kept feeds keep their state (no
# refetch; the same URL under two names is fetched once), a new URL takes effect at once (the trickle is not waited for; no old validators
# are sent to the new address), and nothing is written twice.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need curl
mkdir -p "$TMP/www"
gen() { sh "${top_srcdir:-.}/tests/gen_bare_feed.sh" "$@"; }
gen 100000 big >"$TMP/www/big.rss" && gen 100000 bigb >"$TMP/www/big2.rss" || exit 99
for f in a b c d e; do gen 5 "$f" >"$TMP/www/$f.rss" || exit 99; done
start_fixture_server "$TMP/www"
trap 'kill $server $daemon 2>/dev/null; rm -rf "$TMP"' EXIT
SLOW="$BASE/slow?feed=1&n=100&ms=200"
# conf NAME=URL...: writes the configuration (atomically)
conf() {
	{
		printf '[feedspool]\nstate = %s/state.db\nspool = %s/spool\nallow_private = 127.0.0.1\nnear_duplicates = no\n' "$TMP" "$TMP"
		printf 'max_pending = 1000000\nmax_per_host = 16\n'
		for f in "$@"; do printf '[feed %s]\nurl = %s\n' "${f%%=*}" "${f#*=}"; done
	} >"$TMP/feedspool.conf.new"
	mv "$TMP/feedspool.conf.new" "$TMP/feedspool.conf"
}
logged() { grep -q "$1" "$TMP/run.err"; }
staged() { [ "$(ls "$TMP/spool/tmp" "$TMP/spool/new" 2>/dev/null | grep -c '\.json$')" -ge "$1" ]; }
alive() {
	checks=$((checks + 1))
	kill -0 $daemon 2>/dev/null || { wait $daemon; fail "$1: the daemon died (exit $?): $(tail -3 "$TMP/run.err" | tr '\n' ' ')"; exit 1; }
}

conf keep="$BASE/feed/a.rss" twin="$BASE/feed/a.rss" moved="$BASE/feed/e.rss" slowgone="$SLOW" slowmove="$SLOW&x=2" \
	biggone="$BASE/feed/big.rss" bigmove="$BASE/feed/big2.rss"
"$FEEDSPOOL" run -c "$TMP/feedspool.conf" 2>"$TMP/run.err" &
daemon=$!
wait_for "keep is fetched" 60 logged "feed keep: ok: 5 new"
wait_for "moved is fetched" 60 logged "feed moved: ok: 5 new"
wait_for "the big feeds' runs are under way" 60 staged 300
check "two feeds with one URL: a warning names both" logged "feed twin: same URL as feed keep"

# reload 1: while slowgone/slowmove trickle and biggone/bigmove are being parsed and written
conf keep="$BASE/feed/a.rss" moved="$BASE/gzip/e.rss" slowmove="$BASE/feed/b.rss" \
	bigmove="$BASE/feed/c.rss" added="$BASE/feed/d.rss"
kill -HUP $daemon
wait_for "the added feed is fetched" 30 logged "feed added: ok: 5 new"
alive "after the first reload"
# the trickle would take 20 s: a new URL takes effect at once, for a busy feed too
wait_for "slowmove is fetched at its new URL at once" 10 logged "feed slowmove: ok: 5 new"
wait_for "bigmove is fetched at its new URL" 30 logged "feed bigmove: ok: 5 new"
wait_for "moved is fetched at its new URL" 30 logged "feed moved: ok: 5 new"
check "the removal of a feed in flight is logged" logged "reload: feed slowgone removed"
check "the removal of a feed being written is logged" logged "reload: feed biggone removed"
inm=$(curl -s "$BASE/stats" | jq -r '.conditional["/gzip/e.rss"][0]["If-None-Match"]')
expect_eq "the new address gets no validators of the old one" "$inm" null

# reload 2 and 3, back to back, with the big feeds back in flight
conf keep="$BASE/feed/a.rss" biggone="$BASE/feed/big.rss" bigmove="$BASE/feed/big2.rss"
kill -HUP $daemon
n=$(ls "$TMP/spool/tmp" "$TMP/spool/new" | grep -c '\.json$')
wait_for "the big feeds are written again" 60 staged $((n + 100))
conf keep="$BASE/feed/a.rss"
kill -HUP $daemon
wait_for "the third reload is done" 30 logged "reload: feed bigmove removed"
alive "after three reloads"
expect_eq "keep kept its state: fetched once" "$(grep -c "feed keep: ok" "$TMP/run.err")" 1
expect_eq "keep's URL was asked once, not once per name" "$(curl -s "$BASE/stats" | jq '.requests["/feed/a.rss"]')" 1
kill -TERM $daemon
wait $daemon
expect_eq "the daemon stops with 0" "$?" 0
daemon=
dups=$(find "$TMP/spool/new" -name '*.json' -exec cat {} + | jq -r .guid | sort | uniq -d | wc -l)
expect_eq "no article is written twice" "$dups" 0
finish

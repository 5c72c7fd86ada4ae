#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGHUP reloads the configuration of a running daemon: a removed feed stops, an added one is
# fetched, a kept one keeps its state (no refetch of what it already wrote, no duplicates).
. "${top_srcdir:-.}/tests/lib.sh"
need jq
SEEDS=$FIXTURES/seed-feeds
conf() {
	{
		printf '[feedspool]\nstate = state.db\nspool = spool\nallow_file_urls = yes\nnear_duplicates = no\n'
		for f in "$@"; do
			printf '[feed %s]\nurl = file://%s/%s\n' "$(echo "$f" | cut -d. -f1)" "$SEEDS" "$f"
		done
	} >"$TMP/feedspool.conf.new"
	mv "$TMP/feedspool.conf.new" "$TMP/feedspool.conf"
}
# waits (bounded) until `feedspool feeds` shows NAME fetched
fetched() {
	i=0
	while ! "$FEEDSPOOL" feeds -c "$TMP/feedspool.conf" 2>/dev/null |
		awk -v n="$1" '$0 == n {p = 1; next} /^[^ ]/ {p = 0} p && /^  last/ && !/never/ {found = 1} END {exit !found}'; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.1
	done
}
conf outlet-a.rss outlet-b.atom
"$FEEDSPOOL" run -c "$TMP/feedspool.conf" 2>"$TMP/run.err" &
daemon=$!
trap 'kill $daemon 2>/dev/null; rm -rf "$TMP"' EXIT
check "outlet-a is fetched" fetched outlet-a
check "outlet-b is fetched" fetched outlet-b
before=$(ls "$TMP/spool/new" | grep -c '\.json$')
expect_eq "3 + 4 articles written" "$before" 7

conf outlet-a.rss outlet-c.rdf
kill -HUP $daemon
check "the added feed outlet-c is fetched after SIGHUP ($(grep reload "$TMP/run.err" | tr '\n' ' '))" fetched outlet-c
check "the removal is logged" grep -q "reload: feed outlet-b removed" "$TMP/run.err"
check "the addition is logged" grep -q "reload: new feed outlet-c" "$TMP/run.err"
# outlet-c holds 4 items, one of them outlet-a's first story under a tracked link: 3 new
expect_eq "outlet-c adds its 3 new stories, nothing twice" "$(ls "$TMP/spool/new" | grep -c '\.json$')" 10
kill -TERM $daemon
wait $daemon
expect_eq "the daemon stops with 0" "$?" 0
daemon=
checks=$((checks + 1))
grep -q "feed outlet-a: ok: 0 new" "$TMP/run.err" &&
	fail "outlet-a was fetched again at the reload although it was not due"
finish

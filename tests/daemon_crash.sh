#!/bin/bash
# SPDX-License-Identifier: MIT
# Crash consistency: `feedspool once` killed with SIGKILL at random moments, 25 times, while
# the feeds keep growing and a reader keeps taking files from new/ to cur/. After every kill:
# no partial or temporary file in new/, and no article written twice (an id never comes back
# once taken). At the end, one clean pass leaves every article of every feed in the spool:
# nothing that can still be fetched was lost.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
KILLS=${CRASH_KILLS:-25}
FEEDS=12
mkdir -p "$TMP/feeds" "$TMP/run"

grow_feeds "$TMP/feeds" $FEEDS 15
start_fixture_server "$TMP/feeds"
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT

{
	echo "[feedspool]"
	echo "state = state.db"
	echo "spool = spool"
	echo "allow_private = 127.0.0.1"
	echo "format = json+text"
	echo "near_duplicates = no"
	echo "jitter = 0"
	for f in $(seq 1 $FEEDS); do
		printf '[feed f%s]\nurl = http://127.0.0.1:%s/feed/f%s.xml\n' "$f" "$PORT" "$f"
	done
} >"$TMP/run/feedspool.conf"

# a reader: takes everything from new/ to cur/, refusing to see an id twice
take() {
	local f id
	for f in "$TMP"/run/spool/new/*.json; do
		[ -e "$f" ] || continue
		id=$(basename "$f" .json)
		if [ -e "$TMP/run/spool/cur/$id.json" ] || grep -qx "$id" "$TMP/taken" 2>/dev/null; then
			fail "article $id was written twice"
		fi
		echo "$id" >>"$TMP/taken"
		mv "$f" "$TMP/run/spool/cur/"
		[ -e "$TMP/run/spool/new/$id.txt" ] && mv "$TMP/run/spool/new/$id.txt" "$TMP/run/spool/cur/"
	done
}

# the invariants that must hold at any instant
invariants() {
	local f
	checks=$((checks + 1))
	for f in "$TMP"/run/spool/new/*; do
		[ -e "$f" ] || continue
		case $f in
		*.json) jq -e '.schema == 1' "$f" >/dev/null 2>&1 || fail "kill $1: partial or invalid file in new/: $f" ;;
		*.txt) [ -s "$f" ] || fail "kill $1: empty text file in new/: $f" ;;
		*) fail "kill $1: unexpected file in new/: $f" ;;
		esac
	done
}

: >"$TMP/taken"
for k in $(seq 1 "$KILLS"); do
	grow_feeds "$TMP/feeds" $FEEDS $(((k + 1) * 15))
	# a random instant within the pass (the pass itself takes a few hundred milliseconds)
	kill_once_randomly "$TMP/run/feedspool.conf" "$TMP/once.err" "$k$$" 0.6
	invariants "$k"
	take
done

# a clean pass: everything the feeds still list must now be in the spool, each exactly once
"$FEEDSPOOL" once -c "$TMP/run/feedspool.conf" >/dev/null 2>>"$TMP/once.err"
expect_eq "the clean pass after $KILLS kills succeeds" "$?" 0
invariants final
take
for f in $(seq 1 $FEEDS); do
	"$FEEDSPOOL" parse --url "http://127.0.0.1:$PORT/feed/f$f.xml" "$TMP/feeds/f$f.xml" | jq -r .id
done | sort >"$TMP/expected"
sort "$TMP/taken" >"$TMP/got"
expect_eq "every article of every feed was written ($(wc -l <"$TMP/expected") expected)" \
	"$(comm -23 "$TMP/expected" "$TMP/got" | wc -l | tr -d ' ')" 0
expect_eq "and nothing else, and nothing twice" "$(wc -l <"$TMP/got" | tr -d ' ')" "$(wc -l <"$TMP/expected" | tr -d ' ')"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# Parsing a 100 MB feed streams: peak memory (maximum resident set size) stays under 20 MB and
# every item comes out. And the daemon's run of one feed does not grow with its items (issue
# 10): `once` over 400,000 bare items (under the 16 MiB cap), fetched over HTTP, written in
# full, peaks under 64 MiB. Skipped in sanitizer builds, whose shadow memory is not the
# program's.
. "${top_srcdir:-.}/tests/lib.sh"
sanitized && { echo "SKIP: sanitizer build" >&2; exit 77; }
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time (package time) is not installed" >&2; exit 77; }

sh "${top_srcdir:-.}/tests/gen_big_feed.sh" 100 >"$TMP/big.xml" || exit 99
items=$(grep -o '<item>' "$TMP/big.xml" | wc -l)
/usr/bin/time -f '%M' -o "$TMP/rss" "$FEEDSPOOL" parse "$TMP/big.xml" >"$TMP/out.jsonl"
expect_eq "the 100 MB feed parses" "$?" 0
expect_eq "every item comes out" "$(wc -l <"$TMP/out.jsonl" | tr -d ' ')" "$items"
kb=$(tail -1 "$TMP/rss")
echo "peak RSS parsing $(du -m "$TMP/big.xml" | cut -f1) MB: $kb KiB" >&2
checks=$((checks + 1))
[ "$kb" -lt 20480 ] || fail "peak memory $kb KiB is not under 20 MiB"
rm -f "$TMP/big.xml" "$TMP/out.jsonl"

# once, 400,000 items: the state and spool on tmpfs when there is one (the test is about
# memory, not about the disk's fsync rate)
need jq
WORK=$TMP
[ -d /dev/shm ] && [ -w /dev/shm ] && WORK=$(mktemp -d /dev/shm/feedspool-test.XXXXXX)
trap 'kill $server 2>/dev/null; rm -rf "$TMP"; [ "$WORK" = "$TMP" ] || rm -rf "$WORK"' EXIT
mkdir -p "$TMP/www"
sh "${top_srcdir:-.}/tests/gen_bare_feed.sh" 400000 >"$TMP/www/bare.rss" || exit 99
start_fixture_server "$TMP/www"
printf '[feedspool]\nstate = %s/state.db\nspool = %s/spool\nallow_private = 127.0.0.1\nnear_duplicates = no\nmax_pending = 1000000\n[feed bare]\nurl = %s/feed/bare.rss\n' \
	"$WORK" "$WORK" "$BASE" >"$TMP/feedspool.conf"
/usr/bin/time -f '%M' -o "$TMP/once.kb" "$FEEDSPOOL" once -c "$TMP/feedspool.conf" 2>"$TMP/once.err"
expect_eq "once over 400,000 items succeeds ($(tail -1 "$TMP/once.err"))" "$?" 0
check "every item is written" grep -q "feed bare: ok: 400000 new" "$TMP/once.err"
kb=$(tail -1 "$TMP/once.kb")
echo "peak RSS of once over $(du -k "$TMP/www/bare.rss" | cut -f1) KiB, 400000 items: $kb KiB" >&2
checks=$((checks + 1))
[ "$kb" -lt 65536 ] || fail "once over 400,000 items: peak memory $kb KiB is not under 64 MiB"
finish

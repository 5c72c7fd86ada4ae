#!/bin/sh
# SPDX-License-Identifier: MIT
# Parsing a 100 MB feed streams: peak memory (maximum resident set size) stays under 20 MB and
# every item comes out. Skipped in sanitizer builds, whose shadow memory is not the program's.
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
finish

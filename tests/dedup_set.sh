#!/bin/sh
# SPDX-License-Identifier: MIT
# The labelled dedup set (tests/fixtures/dedup/labelled.json, 120 cases; made by
# tests/tools/make_dedup_set.py) through the real daemon path (`feedspool once` on file: feeds):
# no distinct story lost, at least 95% of same-story groups written once. Figures per category on
# stderr (the log).
. "${top_srcdir:-.}/tests/lib.sh"
need python3
SRC=$(dirname "$0")
python3 "$SRC/tools/score_dedup.py" "$FIXTURES/dedup/labelled.json" --feedspool "$FEEDSPOOL" \
	--json --show >"$TMP/score.out" 2>"$TMP/score.err"
expect_eq "scorer: exit 0 ($(cat "$TMP/score.err"))" "$?" 0
cat "$TMP/score.err" "$TMP/score.out" >&2
summary=$(tail -1 "$TMP/score.out")
lost=$(echo "$summary" | jq .lost)
once=$(echo "$summary" | jq .once)
groups=$(echo "$summary" | jq .groups)
expect_eq "distinct stories lost" "$lost" 0
checks=$((checks + 1))
[ "$groups" -ge 55 ] && [ $((once * 100)) -ge $((groups * 95)) ] ||
	fail "same-story groups written once: $once of $groups, under 95%"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# The extractor's quality floor: F1 at least 0.95 on the shared article-extraction corpus, scored
# by the shared scorer (both in ../shared beside the source tree, outside the project: skipped
# when absent).
. "${top_srcdir:-.}/tests/lib.sh"
need python3
shared=$(cd "${top_srcdir:-.}/.." && pwd)/shared
corpus=$shared/corpus/article-extraction
scorer=$shared/tools/score_extraction.py
if [ ! -f "$corpus/ground-truth.json" ] || [ ! -f "$scorer" ]; then
	echo "SKIP: no shared corpus at $corpus" >&2
	exit 77
fi
python3 "$scorer" "$corpus" -j 2 --worst 5 \
	--cmd "'$FEEDSPOOL' extract --url {url} {file}" >"$TMP/score" 2>&1
expect_eq "the scorer ran" "$?" 0
cat "$TMP/score" >&2
f1=$(sed -n 's/^pages [0-9]*, errors \([0-9]*\): F1 \([0-9.]*\) .*/\2/p' "$TMP/score")
errors=$(sed -n 's/^pages [0-9]*, errors \([0-9]*\):.*/\1/p' "$TMP/score")
expect_eq "no page failed (crash, exit code or timeout)" "$errors" 0
checks=$((checks + 1))
awk -v f="${f1:-0}" 'BEGIN { exit !(f >= 0.95) }' || fail "extraction F1 is ${f1:-unknown}, the floor is 0.95"
finish

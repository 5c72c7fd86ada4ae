#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (not a test): median and worst time per page of the full-text extractor over an
# article-extraction corpus (DIR/html/*.html.gz), timed inside `feedspool extract --time`
# (parse, score, render; not process start-up nor reading the file).
#   tests/bench/extract-time.sh [FEEDSPOOL [DIR]]
# defaults: build/src/feedspool and ../shared/corpus/article-extraction
set -eu
bin=${1:-build/src/feedspool}
dir=${2:-../shared/corpus/article-extraction}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$dir"/html/*.html.gz; do
	gzip -dc "$f" >"$tmp/$(basename "$f" .gz)"
done
# three rounds, so that the median is not the first touch of each page
for round in 1 2 3; do
	"$bin" extract --time "$tmp"/*.html 2>&1 >/dev/null | sed -n 's/.*: \([0-9.]*\) ms$/\1/p'
done | sort -n | awk '{ t[NR] = $1 } END {
	if (!NR) { print "no pages timed"; exit 1 }
	printf "pages timed %d: median %.3f ms, p90 %.3f ms, max %.3f ms\n",
		NR, t[int((NR + 1) / 2)], t[int(NR * 0.9)], t[NR] }'

#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (not a test): `feedspool parse` over a corpus of feeds in one process, against
# sfeed over the same bytes, measured two ways: as sfeed is used (one process per feed, its
# input on stdin) and as one stream (the files concatenated into one process, which times its
# parser alone), and Python feedparser; then the peak memory of parsing a generated 100 MB feed.
#
# Usage: tests/bench/parse-vs-sfeed.sh [FEEDSPOOL] [CORPUS_DIR] [RUNS]
#   defaults: build/src/feedspool, ../shared/corpus/real-feeds, 7 runs
# Needs: sfeed, python3-feedparser (/usr/bin/python3), time. Prints the median wall time of each.
set -eu
FS=${1:-build/src/feedspool}
CORPUS=${2:-../shared/corpus/real-feeds}
RUNS=${3:-7}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

find "$CORPUS" -maxdepth 1 -type f ! -name '*.tsv' ! -name '*.txt' | sort >"$tmp/files"
nfiles=$(wc -l <"$tmp/files")
# the same bytes for everybody
xargs cat <"$tmp/files" >"$tmp/all.xml"
bytes=$(wc -c <"$tmp/all.xml")

# median RUNS wall times (seconds) of a shell command
median() {
	i=0
	: >"$tmp/times"
	while [ "$i" -lt "$RUNS" ]; do
		s=$(date +%s.%N)
		sh -c "$1" >/dev/null 2>&1 || true
		e=$(date +%s.%N)
		awk "BEGIN {print $e - $s}" >>"$tmp/times"
		i=$((i + 1))
	done
	sort -n "$tmp/times" | awk '{v[NR] = $1} END {printf "%.4f", v[int((NR + 1) / 2)]}'
}

echo "corpus: $nfiles files, $bytes bytes ($CORPUS)"
fs=$(median "xargs $FS parse <$tmp/files")
sfp=$(median "while read -r f; do sfeed <\"\$f\"; done <$tmp/files")
sf=$(median "sfeed <$tmp/all.xml")
echo "feedspool parse (one process): ${fs}s"
echo "sfeed, one process per feed: ${sfp}s (ratio feedspool/sfeed $(awk "BEGIN {printf \"%.2f\", $fs / $sfp}"))"
echo "sfeed, the files as one stream: ${sf}s (ratio feedspool/sfeed $(awk "BEGIN {printf \"%.2f\", $fs / $sf}"))"
if /usr/bin/python3 -c 'import feedparser' 2>/dev/null; then
	cat >"$tmp/fp.py" <<'PY'
import sys, feedparser
for line in open(sys.argv[1]):
    feedparser.parse(line.strip())
PY
	RUNS_SAVE=$RUNS
	RUNS=3
	fp=$(median "/usr/bin/python3 $tmp/fp.py $tmp/files")
	RUNS=$RUNS_SAVE
	echo "python3 feedparser (one process, 3 runs): ${fp}s"
	echo "ratio feedparser/feedspool: $(awk "BEGIN {printf \"%.2f\", $fp / $fs}")"
fi

sh "$here/../gen_big_feed.sh" 100 >"$tmp/big.xml"
/usr/bin/time -f '%e s, %M KiB peak RSS' -o "$tmp/rss" "$FS" parse "$tmp/big.xml" >/dev/null
echo "feedspool parse of a $(du -m "$tmp/big.xml" | cut -f1) MB feed: $(cat "$tmp/rss")"

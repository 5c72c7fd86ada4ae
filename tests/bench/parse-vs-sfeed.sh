#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): `feedspool parse` over a corpus of feeds in one process, against
# sfeed over the same bytes, measured two ways: as sfeed is used (one process per feed, its
# input on stdin) and as one stream (the files concatenated into one process, which times its
# parser alone), and Python feedparser; then the peak memory of parsing a generated 100 MB feed.
#
# Usage: tests/bench/parse-vs-sfeed.sh [FEEDSPOOL] [CORPUS_DIR] [RUNS]
#   defaults: build/src/feedspool, ../shared/corpus/real-feeds, 7 runs
# Needs: bash 5 (its clock), sfeed, python3-feedparser (/usr/bin/python3), time. Prints the median
# wall time of each. Every command runs under `sh -c`, so both sides pay the same for the shell;
# the clock is read in this shell (EPOCHREALTIME) rather than by a `date` process per reading,
# whose start would be counted in every time. feedspool gets the file names as arguments, as sfeed
# gets its stream on stdin: one process each. Started by xargs, as this script used to run it,
# feedspool's time also holds xargs's own start and fork (about 1 ms): printed too, to compare.
set -eu
export LC_ALL=C # EPOCHREALTIME's decimal point
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

# the wall time (seconds) of one run of a shell command, appended to the file $tmp/t.KEY
time_once() {
	local s e
	s=$EPOCHREALTIME
	sh -c "$2" >/dev/null 2>&1 || true
	e=$EPOCHREALTIME
	awk "BEGIN {print $e - $s}" >>"$tmp/t.$1"
}

# the median of the times of KEY
median() {
	sort -n "$tmp/t.$1" | awk '{v[NR] = $1} END {printf "%.4f", v[int((NR + 1) / 2)]}'
}

echo "corpus: $nfiles files, $bytes bytes ($CORPUS)"
if grep -q '[[:space:]]' "$tmp/files"; then
	echo "$0: a file name under $CORPUS holds a blank; give a corpus without" >&2
	exit 2
fi
args=$(tr '\n' ' ' <"$tmp/files")
# RUNS rounds, each running every command once in turn: a noisy moment costs each the same
i=0
while [ "$i" -lt "$RUNS" ]; do
	time_once fs "$FS parse $args"
	time_once fsx "xargs $FS parse <$tmp/files"
	time_once sfp "while read -r f; do sfeed <\"\$f\"; done <$tmp/files"
	time_once sf "sfeed <$tmp/all.xml"
	i=$((i + 1))
done
fs=$(median fs)
fsx=$(median fsx)
sfp=$(median sfp)
sf=$(median sf)
echo "feedspool parse (one process): ${fs}s"
echo "feedspool parse started by xargs: ${fsx}s (ratio to sfeed as one stream: $(awk "BEGIN {printf \"%.2f\", $fsx / $sf}"))"
echo "sfeed, one process per feed: ${sfp}s (ratio feedspool/sfeed $(awk "BEGIN {printf \"%.2f\", $fs / $sfp}"))"
echo "sfeed, the files as one stream: ${sf}s (ratio feedspool/sfeed $(awk "BEGIN {printf \"%.2f\", $fs / $sf}"))"
if /usr/bin/python3 -c 'import feedparser' 2>/dev/null; then
	cat >"$tmp/fp.py" <<'PY'
import sys, feedparser
for line in open(sys.argv[1]):
    feedparser.parse(line.strip())
PY
	for i in 1 2 3; do
		time_once fp "/usr/bin/python3 $tmp/fp.py $tmp/files"
	done
	fp=$(median fp)
	echo "python3 feedparser (one process, 3 runs): ${fp}s"
	echo "ratio feedparser/feedspool: $(awk "BEGIN {printf \"%.2f\", $fp / $fs}")"
fi

sh "$here/../gen_big_feed.sh" 100 >"$tmp/big.xml"
/usr/bin/time -f '%e s, %M KiB peak RSS' -o "$tmp/rss" "$FS" parse "$tmp/big.xml" >/dev/null
echo "feedspool parse of a $(du -m "$tmp/big.xml" | cut -f1) MB feed: $(cat "$tmp/rss")"

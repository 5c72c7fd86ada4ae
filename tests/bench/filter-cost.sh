#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (not a test): what the topic filter (DGX Spark rules) costs on top of parsing, over a
# corpus of real feeds, each command in one process: `feedspool parse`, `feedspool filter` with no
# filter configured, and `feedspool filter` with the topic filter. Prints medians of RUNS.
#
# Usage: tests/bench/filter-cost.sh [FEEDSPOOL] [CORPUS_DIR] [RUNS]
#   defaults: build/src/feedspool, ../shared/corpus/real-feeds, 9
# Run from the source tree (it uses etc/feedspool/topics/dgx-spark.rules); the topic plugin is
# found through FEEDSPOOL_PLUGIN_DIR (default build/plugins/.libs).
set -eu
FS=${1:-build/src/feedspool}
CORPUS=${2:-../shared/corpus/real-feeds}
RUNS=${3:-9}
: "${FEEDSPOOL_PLUGIN_DIR:=$(dirname "$(dirname "$FS")")/plugins/.libs}"
export FEEDSPOOL_PLUGIN_DIR
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
find "$CORPUS" -maxdepth 1 -type f ! -name '*.tsv' ! -name '*.txt' | sort >"$tmp/files"
printf '[feedspool]\nstate = s.db\nspool = sp\n' >"$tmp/none.conf"
printf '[feedspool]\nstate = s.db\nspool = sp\n[filter dgx-spark]\nplugin = topic\nrules = %s\nmode = annotate\n' \
	"$(readlink -f etc/feedspool/topics/dgx-spark.rules)" >"$tmp/topic.conf"

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
p=$(median "xargs $FS parse <$tmp/files")
n=$(median "xargs $FS filter -c $tmp/none.conf --all <$tmp/files")
t=$(median "xargs $FS filter -c $tmp/topic.conf --all <$tmp/files")
echo "feedspool parse:                      ${p}s"
echo "feedspool filter, no filter:          ${n}s"
echo "feedspool filter, topic (annotate):   ${t}s"
echo "the topic filter adds $(awk "BEGIN {printf \"%.1f\", 100 * ($t - $n) / $p}")% of the parse time"

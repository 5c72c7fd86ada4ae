#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): `feedspool once` over 2,000 feeds served by nginx on 127.0.0.1 (copies
# of a corpus of real feeds), 32 connections in all (max_per_host = 32: one host), durable writes:
# a cold cycle (every feed new), then a warm one (every feed answers 304), with peak memory; and
# `newsboat -x reload` (reload-threads 16) on the same list in the same run for comparison. RUNS
# rounds (default 3), each with a new state and spool; then the medians and the ratio of
# newsboat's cold cycle to feedspool's. Issue 10's floors: cold at most 2.0 s median of 3 (goal
# 1.5 s), warm at most 0.3 s.
#
# Usage: [FORMAT=json|json+text] [RUNS=3] [SETTLE=60] [NEWSBOAT=0] [PERF=1] [KEEP=1]
#        tests/bench/daemon-nginx.sh [FEEDSPOOL] [CORPUS_DIR] [N]
#   defaults: build/src/feedspool, ../shared/corpus/real-feeds, 2000. PERF=1 records the last cold
#   cycle with `perf record` and prints where its time goes.
# Needs: nginx (nginx-light), newsboat, time (GNU), python3, curl; perf for PERF=1. Everything
# runs in a temporary directory.
#
# What the cold cycle measures is feedspool, not what ran before it: the script flushes its own
# setup writes (`sync`) before timing, never removes files while it runs (each round has its own
# spool), and starts no sooner than SETTLE seconds after its previous run's cleanup (lib.sh says
# why).
set -eu
FS=$(readlink -f "${1:-build/src/feedspool}")
CORPUS=$(readlink -f "${2:-../shared/corpus/real-feeds}")
N=${3:-2000}
RUNS=${RUNS:-3}
. "$(dirname "$0")/lib.sh"

bench_settle
tmp=$(mktemp -d)
trap 'bench_cleanup "$tmp"' EXIT
mkdir -p "$tmp/www"
mapfile -t files < <(find "$CORPUS" -maxdepth 1 -type f ! -name '*.tsv' ! -name '*.txt' | sort)
for i in $(seq 1 "$N"); do
	cp "${files[$(((i - 1) % ${#files[@]}))]}" "$tmp/www/f$i.xml"
done
bench_nginx "$tmp" "$tmp/www"
for i in $(seq 1 "$N"); do echo "http://127.0.0.1:$bench_port/f$i.xml"; done >"$tmp/urls"
printf 'reload-threads 16\nshow-read-feeds yes\n' >"$tmp/newsboat.conf"
echo "feedspool: $FS ($(git -C "$(dirname "$FS")" describe --always --dirty 2>/dev/null || echo '?'))"
echo "feeds: $N copies of $(basename "$CORPUS") ($(du -sh "$tmp/www" | cut -f1)), nginx on 127.0.0.1:$bench_port"

# timed FILE CMD...: runs CMD under GNU time into FILE; sets secs, kb, user, sys
timed() {
	local out=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$out" "$@" || true
	read -r secs kb user sys < <(tail -n 1 "$out")
}

# once DIR WHAT: one `feedspool once` in DIR; sets secs
once() {
	local wrap=()
	if [ "${PERF:-0}" = 1 ] && [ "$2" = cold ] && [ "$round" = "$RUNS" ]; then
		wrap=(perf record -q -F 999 -g -o "$tmp/perf.data" --)
	fi
	(cd "$1" && timed "$1/time" "${wrap[@]}" "$FS" once -c feedspool.conf 2>"$1/once.err") || true
	read -r secs kb user sys < <(tail -n 1 "$1/time")
	echo "  feedspool once, $2: ${secs} s wall (${user} s user, ${sys} s sys), peak RSS $((kb / 1024)) MiB; $(tail -1 "$1/once.err" | sed 's/^feedspool: //')"
}

newsboat_reload() {
	timed "$tmp/time" newsboat -u "$tmp/urls" -c "$1/cache.db" -C "$tmp/newsboat.conf" -x reload >/dev/null 2>&1
	echo "  newsboat -x reload (reload-threads 16), $2: ${secs} s wall, peak RSS $((kb / 1024)) MiB"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cold=() warm=() nb_cold=() nb_warm=()
for round in $(seq 1 "$RUNS"); do
	d=$tmp/round$round
	mkdir -p "$d/nb"
	{
		echo "[feedspool]"
		echo "state = state.db"
		echo "spool = spool"
		echo "allow_private = 127.0.0.1"
		echo "format = ${FORMAT:-json}"
		echo "max_total = 32"
		echo "max_per_host = 32"
		awk -v n="$N" -v port="$bench_port" 'BEGIN { for (i = 1; i <= n; i++) printf "[feed f%d]\nurl = http://127.0.0.1:%d/f%d.xml\n", i, port, i }'
	} >"$d/feedspool.conf"
	echo "round $round of $RUNS"
	sync # the setup's writes (and the previous round's) go out now, not during the timed cycle
	once "$d" cold
	cold+=("$secs")
	echo "  spool: $(find "$d/spool/new" -name '*.json' | wc -l) articles written"
	once "$d" warm
	warm+=("$secs")
	if [ "${NEWSBOAT:-1}" != 0 ] && command -v newsboat >/dev/null; then
		newsboat_reload "$d/nb" cold
		nb_cold+=("$secs")
		newsboat_reload "$d/nb" warm
		nb_warm+=("$secs")
	fi
done
echo "medians of $RUNS: feedspool cold $(median "${cold[@]}") s, warm $(median "${warm[@]}") s"
if [ ${#nb_cold[@]} -gt 0 ]; then
	echo "medians of $RUNS: newsboat cold $(median "${nb_cold[@]}") s, warm $(median "${nb_warm[@]}") s"
	echo "newsboat cold / feedspool cold: $(awk "BEGIN { printf \"%.1f\", $(median "${nb_cold[@]}") / $(median "${cold[@]}") }")x"
fi
if [ "${PERF:-0}" = 1 ] && [ -s "$tmp/perf.data" ]; then
	echo "where the last cold cycle spends its time (perf report, self time):"
	perf report -i "$tmp/perf.data" --no-children --stdio -g none --sort dso,symbol 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -30
fi

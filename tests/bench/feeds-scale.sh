#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): what feedspool costs against the number of feeds. N synthetic feeds of
# one item each, served by nginx on 127.0.0.1; for each N, `feedspool once` cold (every feed
# new, durable writes) then warm (every feed answers 304), with wall and CPU time and peak RSS;
# then the warm ratio of the largest N to the smallest, what one more feed adds to the peak RSS
# (between the smallest and the largest N), and `feedspool check` on CHECK_N feeds.
# The issue's floors (issue 10): warm(50,000) <= 12 x warm(5,000); 100,000 feeds warm in <= 10 s;
# check on 300,000 feeds <= 3 s; peak RSS at 50,000 feeds < 120 MiB.
#
# Usage: [NS="5000 50000 100000"] [CHECK_N=300000] [PERF=1] [SETTLE=60] [KEEP=1]
#        tests/bench/feeds-scale.sh [FEEDSPOOL]
#   FEEDSPOOL defaults to build/src/feedspool. PERF=1 records the warm cycle of the largest N with
#   `perf record` and prints where its time goes. CHECK_N=0 skips check. SETTLE: see lib.sh.
# Needs: nginx (nginx-light), python3, time (GNU), curl; perf for PERF=1.
set -eu
FS=$(readlink -f "${1:-build/src/feedspool}")
. "$(dirname "$0")/lib.sh"
NS=${NS:-5000 50000 100000}
CHECK_N=${CHECK_N:-300000}
max=0
for n in $NS; do [ "$n" -gt "$max" ] && max=$n; done

bench_settle
tmp=$(mktemp -d)
trap 'bench_cleanup "$tmp"' EXIT
mkdir -p "$tmp/www"
echo "generating $max feeds..."
bench_synthetic "$tmp/www" "$max"
bench_nginx "$tmp" "$tmp/www"
echo "feedspool: $FS ($(git -C "$(dirname "$FS")" describe --always --dirty 2>/dev/null || echo '?'))"
echo "feeds: $max synthetic one-item feeds ($(du -sh "$tmp/www" | cut -f1)), nginx on 127.0.0.1:$bench_port"

sum() { awk "BEGIN { print $1 + $2 }"; }

# once N WHAT: one `feedspool once` in run$N; sets secs
once() {
	local dir=$tmp/run$1 wrap=()
	if [ "${PERF:-0}" = 1 ] && [ "$2" = warm ] && [ "$1" = "$max" ]; then
		wrap=(perf record -q -F 999 -g -o "$tmp/perf.data" --)
	fi
	(cd "$dir" && /usr/bin/time -f '%e %U %S %M' -o "$dir/time" "${wrap[@]}" "$FS" once -c feedspool.conf 2>"$dir/once.err") || true
	read -r secs user sys kb < <(tail -n 1 "$dir/time")
	printf '%7d feeds, %s: %6s s wall, %6s s CPU (%s user, %s sys), peak RSS %4d MiB; %s\n' \
		"$1" "$2" "$secs" "$(sum "$user" "$sys")" "$user" "$sys" $((kb / 1024)) \
		"$(tail -1 "$dir/once.err" | sed 's/^feedspool: //')"
}

declare -A warm rss
for n in $NS; do
	mkdir -p "$tmp/run$n"
	bench_conf "$n" "$bench_port" >"$tmp/run$n/feedspool.conf"
	sync # the setup's writes go out now, not during the timed cycle
	once "$n" cold
	rss[$n,cold]=$kb
	echo "         spool: $(find "$tmp/run$n/spool/new" -name '*.json' | wc -l) articles written"
	once "$n" warm
	rss[$n,warm]=$kb
	warm[$n]=$secs
done
set -- $NS
if [ $# -gt 1 ]; then
	first=$1
	last=${!#}
	echo "warm($last) / warm($first) = $(awk "BEGIN { printf \"%.1f\", ${warm[$last]} / ${warm[$first]} }")x for $((last / first))x the feeds"
	for w in cold warm; do
		echo "peak RSS per feed, $w: $(((${rss[$last,$w]} - ${rss[$first,$w]}) * 1024 / (last - first))) bytes (from $first to $last feeds)"
	done
fi
if [ "${PERF:-0}" = 1 ] && [ -s "$tmp/perf.data" ]; then
	echo "where the warm cycle of $max feeds spends its time (perf report, self time):"
	perf report -i "$tmp/perf.data" --no-children --stdio -g none --sort dso,symbol 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -25
fi

if [ "$CHECK_N" -gt 0 ]; then
	mkdir -p "$tmp/check/spool"
	bench_conf "$CHECK_N" "$bench_port" >"$tmp/check/feedspool.conf"
	(cd "$tmp/check" && /usr/bin/time -f '%e %U %S %M' -o time "$FS" check -c feedspool.conf >out 2>err) || echo "check failed: $(head -3 "$tmp/check/err")"
	read -r secs user sys kb < <(tail -n 1 "$tmp/check/time")
	echo "check, $CHECK_N feeds: $secs s wall, $(sum "$user" "$sys") s CPU, peak RSS $((kb / 1024)) MiB ($(grep -c '^feed ' "$tmp/check/out") feeds listed)"
fi

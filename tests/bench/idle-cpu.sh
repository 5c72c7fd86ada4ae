#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): the CPU `feedspool run` uses between fetches. N synthetic feeds (one
# item each) served by nginx on 127.0.0.1 with interval = 1h; once every feed has been fetched
# (the state says so), the daemon's user + system time is read from /proc/PID/stat at the start
# and the end of SECS seconds in which no feed is due. Issue 10's floor: 10,000 idle feeds use
# under 1% of a core.
#
# Usage: [N=10000] [SECS=60] [SETTLE=60] [KEEP=1] tests/bench/idle-cpu.sh [FEEDSPOOL]
# Needs: nginx (nginx-light), python3, sqlite3, curl.
set -eu
FS=$(readlink -f "${1:-build/src/feedspool}")
. "$(dirname "$0")/lib.sh"
N=${N:-10000}
SECS=${SECS:-60}
hz=$(getconf CLK_TCK)

bench_settle
tmp=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || { kill "$pid"; wait "$pid"; } 2>/dev/null; bench_cleanup "$tmp"' EXIT
mkdir -p "$tmp/www" "$tmp/run"
bench_synthetic "$tmp/www" "$N"
bench_nginx "$tmp" "$tmp/www"
{
	bench_conf "$N" "$bench_port" | sed '1a interval = 1h\njitter = 0'
} >"$tmp/run/feedspool.conf"
sync
cd "$tmp/run"
start=$(date +%s.%N)
"$FS" run -c feedspool.conf 2>"$tmp/run.err" &
pid=$!

# cpu: the daemon's user + system time so far, in clock ticks
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
fetched() { sqlite3 "file:state.db?mode=ro" 'SELECT count(*) FROM feeds WHERE last_fetch > 0' 2>/dev/null || echo 0; }
# the first cycle: every feed fetched (bounded: 10 minutes)
for _ in $(seq 6000); do
	kill -0 "$pid" 2>/dev/null || { echo "the daemon exited: $(tail -3 "$tmp/run.err")"; exit 1; }
	[ "$(fetched)" -ge "$N" ] && break
	sleep 0.1
done
[ "$(fetched)" -ge "$N" ] || { echo "the first cycle did not end in 10 minutes"; exit 1; }
echo "$N feeds fetched in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s, $(awk "BEGIN { printf \"%.2f\", $(cpu) / $hz }") s of CPU"
sleep 2 # the end of the cycle's writes is not idle time
c0=$(cpu)
t0=$(date +%s.%N)
sleep "$SECS"
c1=$(cpu)
t1=$(date +%s.%N)
rss=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status")
awk -v c="$((c1 - c0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" -v n="$N" -v rss="$rss" 'BEGIN {
	printf "idle: %.2f s of CPU in %.1f s with %d feeds: %.2f%% of a core (RSS %d MiB)\n",
		c / hz, t1 - t0, n, 100 * c / hz / (t1 - t0), rss }'

#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (not a test): the CPU `run` uses between fetches with N feeds (issue 10: under 1% of
# a core with 10,000 idle feeds). Every feed is fetched once from the fixture server (one item
# each, distinct URLs), then, once all are recorded, the daemon's CPU time (utime + stime from
# /proc/PID/stat) is sampled over SECONDS while nothing is due.
#
# Usage: tests/bench/daemon-idle.sh [FEEDSPOOL] [N=10000] [SECONDS=60]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
FEEDSPOOL=${1:-$here/build/src/feedspool}
N=${2:-10000}
SECS=${3:-60}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/feedspool-bench.XXXXXX")
server=
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/www"
sh "$here/tests/gen_bare_feed.sh" 1 idle >"$TMP/www/one.rss"
python3 "$here/tests/fixture_server.py" --root "$TMP/www" >"$TMP/server.out" 2>/dev/null <&- &
server=$!
while ! grep -q '^PORT ' "$TMP/server.out" 2>/dev/null; do sleep 0.1; done
BASE=http://127.0.0.1:$(sed -n 's/^PORT //p' "$TMP/server.out")
{
	printf '[feedspool]\nstate = %s/state.db\nspool = %s/spool\nallow_private = 127.0.0.1\nnear_duplicates = no\n' "$TMP" "$TMP"
	printf 'max_pending = 100000000\nmax_per_host = 8\ninterval = 1d\njitter = 0\n'
	awk -v n="$N" -v b="$BASE" 'BEGIN { for (i = 0; i < n; i++) printf "[feed f%d]\nurl = %s/feed/one.rss?max_age=86400&i=%d\n", i, b, i }'
} >"$TMP/feedspool.conf"
"$FEEDSPOOL" run -c "$TMP/feedspool.conf" 2>"$TMP/run.err" &
pid=$!
t0=$(date +%s)
while [ "$(grep -c ': ok: ' "$TMP/run.err")" -lt "$N" ]; do
	sleep 1
	kill -0 $pid
done
echo "fetched $N feeds in $(($(date +%s) - t0)) s"
ticks() { awk '{ print $14 + $15 }' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
a=$(ticks)
sleep "$SECS"
b=$(ticks)
echo "idle CPU over $SECS s with $N feeds: $((b - a)) ticks of 1/$hz s = $(echo "scale=3; 100 * ($b - $a) / $hz / $SECS" | bc)% of a core"

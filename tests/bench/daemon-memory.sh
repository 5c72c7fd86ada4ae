#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (not a test): peak memory of the daemon with N feeds of ITEMS bare items each in
# flight at once (issue 10: what a run holds does not grow with its items, so N such feeds cost
# N small buffers, not N documents). `run` fetches them all from the fixture server, runs for
# SECONDS, then gets SIGTERM; prints the peak RSS, the articles written, and how long the stop
# took. The state and spool live on /dev/shm when it is writable (memory, not fsync, is measured).
#
# Usage: tests/bench/daemon-memory.sh [FEEDSPOOL] [N=32] [ITEMS=400000] [SECONDS=60]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
FEEDSPOOL=${1:-$here/build/src/feedspool}
N=${2:-32}
ITEMS=${3:-400000}
SECS=${4:-60}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/feedspool-bench.XXXXXX")
WORK=$TMP
[ -d /dev/shm ] && [ -w /dev/shm ] && WORK=$(mktemp -d /dev/shm/feedspool-bench.XXXXXX)
server=
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	rm -rf "$TMP"
	[ "$WORK" = "$TMP" ] || rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$TMP/www"
i=0
while [ $i -lt "$N" ]; do
	sh "$here/tests/gen_bare_feed.sh" "$ITEMS" "f$i" >"$TMP/www/f$i.rss"
	i=$((i + 1))
done
python3 "$here/tests/fixture_server.py" --root "$TMP/www" >"$TMP/server.out" 2>/dev/null <&- &
server=$!
while ! grep -q '^PORT ' "$TMP/server.out" 2>/dev/null; do sleep 0.1; done
BASE=http://127.0.0.1:$(sed -n 's/^PORT //p' "$TMP/server.out")
{
	printf '[feedspool]\nstate = %s/state.db\nspool = %s/spool\nallow_private = 127.0.0.1\n' "$WORK" "$WORK"
	printf 'near_duplicates = no\nmax_pending = 100000000\nmax_per_host = %d\nmax_total = %d\n' "$N" "$N"
	i=0
	while [ $i -lt "$N" ]; do
		printf '[feed f%d]\nurl = %s/feed/f%d.rss\n' $i "$BASE" $i
		i=$((i + 1))
	done
} >"$TMP/feedspool.conf"
/usr/bin/time -f '%M' -o "$TMP/rss" "$FEEDSPOOL" run -c "$TMP/feedspool.conf" 2>"$TMP/run.err" &
pid=$!
sleep "$SECS"
written=$(ls "$WORK/spool/new" | wc -l)
t0=$(date +%s.%N)
kill -TERM $(pgrep -P $pid) 2>/dev/null || kill -TERM $pid
wait $pid || true
t1=$(date +%s.%N)
echo "feeds: $N x $ITEMS items ($(du -k "$TMP/www/f0.rss" | cut -f1) KiB each), ran ${SECS} s"
echo "articles written: $written"
echo "peak RSS: $(tail -1 "$TMP/rss") KiB"
echo "stop took: $(echo "$t1 - $t0" | bc) s"

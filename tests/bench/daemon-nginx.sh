#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): `feedspool once` over 2,000 feeds served by nginx on 127.0.0.1 (copies
# of a corpus of real feeds), with durable writes: a cold cycle (every feed new), then a warm one
# (every feed answers 304); peak memory of each; and `newsboat -x reload` (reload-threads 16) on
# the same list for comparison.
#
# Usage: [FORMAT=json|json+text] [SPOOL=DIR] [STATE=FILE] [SETTLE=60] [NEWSBOAT=0] tests/bench/daemon-nginx.sh [FEEDSPOOL] [CORPUS_DIR] [N]
#   defaults: build/src/feedspool, ../shared/corpus/real-feeds, 2000
# Needs: nginx (nginx-light), newsboat, time. Everything runs in a temporary directory.
#
# What the cold cycle measures is feedspool, not what ran before it: the script flushes its own
# setup writes (`sync`) before timing, and starts no sooner than 60 s after its previous run's
# cleanup. On ext4 without a journal (as on some VMs), the inode allocator passes over every
# inode freed in the last 60 s (300 s more while its inode-table block is not written back) one
# by one (fs/ext4/ialloc.c, recently_deleted(), RECENTCY_MIN/RECENTCY_DIRTY): right after an
# `rm -rf` of the previous run's thousands of files, creating the spool's files costs seconds of
# system time that are the filesystem's. The cleanup therefore ends with `sync`, and the next run
# waits out the rest of the 60 s. SETTLE=0 does not wait.
set -eu
FS=$(readlink -f "${1:-build/src/feedspool}")
CORPUS=$(readlink -f "${2:-../shared/corpus/real-feeds}")
N=${3:-2000}
stamp=${TMPDIR:-/tmp}/feedspool-bench.cleaned
settle=${SETTLE:-60}
if [ "$settle" -gt 0 ] && [ -e "$stamp" ]; then
	left=$((settle - ($(date +%s) - $(stat -c %Y "$stamp"))))
	if [ "$left" -gt 0 ]; then
		echo "waiting ${left} s: the previous run's cleanup freed its inodes less than ${settle} s ago"
		sync
		sleep "$left"
	fi
fi
tmp=$(mktemp -d)
trap 'kill "$(cat "$tmp/nginx.pid" 2>/dev/null)" 2>/dev/null; [ -n "${KEEP:-}" ] || { rm -rf "$tmp"; sync; touch "$stamp"; }' EXIT
mkdir -p "$tmp/www" "$tmp/run" "$tmp/nb"
chmod 755 "$tmp" "$tmp/www" # nginx workers run as another user

mapfile -t files < <(find "$CORPUS" -maxdepth 1 -type f ! -name '*.tsv' ! -name '*.txt' | sort)
for i in $(seq 1 "$N"); do
	cp "${files[$(((i - 1) % ${#files[@]}))]}" "$tmp/www/f$i.xml"
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/nginx.conf" <<EOF2
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/xml;
	keepalive_requests 100000;
	server {
		listen 127.0.0.1:$port;
		root $tmp/www;
	}
}
EOF2
nginx -c "$tmp/nginx.conf" -p "$tmp"
for i in $(seq 50); do curl -sf "http://127.0.0.1:$port/f1.xml" >/dev/null && break; sleep 0.1; done

{
	echo "[feedspool]"
	echo "state = ${STATE:-state.db}"
	echo "spool = ${SPOOL:-spool}"
	echo "allow_private = 127.0.0.1"
	echo "format = ${FORMAT:-json}"
	echo "max_total = 32"
	echo "max_per_host = 32"
	for i in $(seq 1 "$N"); do
		printf '[feed f%s]\nurl = http://127.0.0.1:%s/f%s.xml\n' "$i" "$port" "$i"
	done
} >"$tmp/run/feedspool.conf"

run() {
	echo "(log: $tmp/once.err)" >&2
	${WRAP:-} /usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "$FS" once -c "$tmp/run/feedspool.conf" 2>"$tmp/once.err" || true
	read -r secs kb user sys < <(tail -n 1 "$tmp/time")
	echo "$1: ${secs} s wall (${user} s user, ${sys} s sys), peak RSS $((kb / 1024)) MiB; $(tail -1 "$tmp/once.err" | sed 's/^feedspool: //')"
}
echo "feeds: $N copies of $(basename "$CORPUS") ($(du -sh "$tmp/www" | cut -f1)), nginx on 127.0.0.1:$port"
sync # the copies above are written out now, not during the timed cycle
run "feedspool once, cold (every feed new, fsync'd spool)"
spooldir=${SPOOL:-spool}
case $spooldir in /*) ;; *) spooldir=$tmp/run/$spooldir ;; esac
echo "spool: $(ls "$spooldir/new" | grep -c '\.json$') articles written"
run "feedspool once, warm (every feed 304)"

if [ "${NEWSBOAT:-1}" != 0 ] && command -v newsboat >/dev/null; then
	for i in $(seq 1 "$N"); do echo "http://127.0.0.1:$port/f$i.xml"; done >"$tmp/nb/urls"
	printf 'reload-threads 16\nshow-read-feeds yes\n' >"$tmp/nb/config"
	/usr/bin/time -f '%e %M' -o "$tmp/time" newsboat -u "$tmp/nb/urls" -c "$tmp/nb/cache.db" -C "$tmp/nb/config" -x reload >/dev/null 2>&1 || true
	read -r secs kb < <(tail -n 1 "$tmp/time")
	echo "newsboat -x reload (reload-threads 16), cold: ${secs} s wall, peak RSS $((kb / 1024)) MiB"
	/usr/bin/time -f '%e %M' -o "$tmp/time" newsboat -u "$tmp/nb/urls" -c "$tmp/nb/cache.db" -C "$tmp/nb/config" -x reload >/dev/null 2>&1 || true
	read -r secs kb < <(tail -n 1 "$tmp/time")
	echo "newsboat -x reload (reload-threads 16), warm: ${secs} s wall, peak RSS $((kb / 1024)) MiB"
fi

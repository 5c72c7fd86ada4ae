# SPDX-License-Identifier: MIT
# Shared by the benchmarks that serve feeds with nginx (sourced, not run): waiting out the
# previous run's inode frees, an nginx on a free port of 127.0.0.1, and the cleanup.
#
# Why the wait: on ext4 without a journal (as on some VMs), the inode allocator passes over every
# inode freed in the last 60 s (300 s more while its inode-table block is not written back) one
# by one (fs/ext4/ialloc.c, recently_deleted(), RECENTCY_MIN/RECENTCY_DIRTY): right after an
# `rm -rf` of the previous run's thousands of files, creating the spool's files costs seconds of
# system time that are the filesystem's. The cleanup therefore ends with `sync`, and the next run
# waits out the rest of SETTLE (default 60) seconds. SETTLE=0 does not wait.

bench_stamp=${TMPDIR:-/tmp}/feedspool-bench.cleaned

bench_settle() {
	settle=${SETTLE:-60}
	if [ "$settle" -gt 0 ] && [ -e "$bench_stamp" ]; then
		left=$((settle - ($(date +%s) - $(stat -c %Y "$bench_stamp"))))
		if [ "$left" -gt 0 ]; then
			echo "waiting ${left} s: the previous run's cleanup freed its inodes less than ${settle} s ago"
			sync
			sleep "$left"
		fi
	fi
}

# bench_cleanup DIR: stops the nginx started in DIR, removes DIR (unless KEEP is set)
bench_cleanup() {
	kill "$(cat "$1/nginx.pid" 2>/dev/null)" 2>/dev/null || true
	if [ -z "${KEEP:-}" ]; then
		rm -rf "$1"
		sync
		touch "$bench_stamp"
	else
		echo "kept: $1" >&2
	fi
}

# bench_nginx DIR ROOT: nginx serving ROOT on 127.0.0.1 (its files in DIR); sets bench_port.
# With BENCH_ACCESS_LOG=FILE every request is logged there as "STATUS URI" (to count fetches).
bench_nginx() {
	bench_log="access_log off;"
	[ -n "${BENCH_ACCESS_LOG:-}" ] && bench_log="log_format bench '\$status \$uri'; access_log $BENCH_ACCESS_LOG bench;"
	bench_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	chmod 755 "$1" "$2" # nginx workers run as another user
	cat >"$1/nginx.conf" <<EOF2
worker_processes 1;
pid $1/nginx.pid;
error_log $1/nginx.err;
events { worker_connections 1024; }
http {
	$bench_log
	default_type application/xml;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$bench_port;
		root $2;
	}
}
EOF2
	nginx -c "$1/nginx.conf" -p "$1"
	for _ in $(seq 100); do
		[ -s "$1/nginx.pid" ] && curl -s -o /dev/null "http://127.0.0.1:$bench_port/" && return 0
		sleep 0.1
	done
	echo "nginx did not start (see $1/nginx.err)" >&2
	return 1
}

# bench_synthetic DIR N: N one-item RSS feeds DIR/fI.xml (I = 1..N), their texts distinct enough
# that none is a near-duplicate of another
bench_synthetic() {
	python3 - "$1" "$2" <<'EOF2'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(10)
words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(3, 9)))
         for _ in range(5000)]
for i in range(1, n + 1):
    text = " ".join(rnd.choice(words) for _ in range(40))
    with open(os.path.join(d, "f%d.xml" % i), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                '<title>Feed %d</title><link>http://example.org/%d/</link>'
                '<item><title>Item of feed %d</title><link>http://example.org/%d/1</link>'
                '<guid>http://example.org/%d/1</guid><pubDate>Mon, 02 Nov 2026 10:00:00 GMT'
                '</pubDate><description>%s</description></item></channel></rss>\n'
                % (i, i, i, i, i, text))
EOF2
}

# bench_conf N PORT: the [feedspool] section and N feeds fI at http://127.0.0.1:PORT/fI.xml; new/
# may hold every article (no back-pressure: a feed skipped for room would not be warm)
bench_conf() {
	echo "[feedspool]"
	echo "state = state.db"
	echo "spool = spool"
	echo "allow_private = 127.0.0.1"
	echo "format = ${FORMAT:-json}"
	echo "max_total = 32"
	echo "max_per_host = 32"
	echo "max_pending = $(($1 + 1000))"
	awk -v n="$1" -v port="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "[feed f%d]\nurl = http://127.0.0.1:%d/f%d.xml\n", i, port, i }'
}

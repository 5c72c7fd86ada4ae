#!/bin/sh
# SPDX-License-Identifier: MIT
# Storage trouble while `feedspool run` works, and back-pressure:
#  (a) the spool's file system fills up mid-run (a small tmpfs): ENOSPC is logged once, naming
#      the spool file; the daemon stops accepting articles (and fetching) but keeps running;
#      once the test frees space the rest of the feed lands;
#  (b) the spool's file system turns read-only while the daemon runs, then writable again;
#  (c) another process holds a write transaction on the state database (BEGIN EXCLUSIVE);
#  in each: every article of the feed lands exactly once (the ids match `feedspool parse` of
#  the feed, and the "N new" of the fetches add up to the number of articles);
#  (d) back-pressure: with max_pending = 6, new/ never holds more than 6 articles while a
#      reader takes them in rounds, and every article arrives exactly once; `once` never waits:
#      what it fetched waits in tmp/, and it fetches nothing while new/ is full (exit 1).
# It runs in a private mount namespace (unshare -m as root, unshare -rm otherwise; skipped
# without one) where it mounts its own tmpfs.
if [ -z "${FEEDSPOOL_TEST_NS:-}" ]; then
	if unshare -m --propagation private true 2>/dev/null; then
		FEEDSPOOL_TEST_NS=root exec unshare -m --propagation private /bin/sh "$0" "$@"
	elif unshare -rm --propagation private true 2>/dev/null; then
		FEEDSPOOL_TEST_NS=user exec unshare -rm --propagation private /bin/sh "$0" "$@"
	fi
	echo "SKIP: no private mount namespace (unshare -m or -rm)" >&2
	exit 77
fi
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
need curl
mkdir -p "$TMP/feeds" "$TMP/mnt"
mount -t tmpfs -o size=2m tmpfs "$TMP/mnt" || { echo "SKIP: cannot mount a tmpfs" >&2; exit 77; }

start_fixture_server "$TMP/feeds"
daemon= locker= sampler=
trap 'kill $server $daemon $locker $sampler 2>/dev/null; wait 2>/dev/null; umount "$TMP/mnt" 2>/dev/null; rm -rf "$TMP"' EXIT
requests() { curl -s "$BASE/stats" | jq --arg p "/feed/$1.xml" '.requests[$p] // 0'; }

# mkfeed NAME N: an RSS feed of N items (newest first, as feeds are), replaced atomically
mkfeed() {
	awk -v name="$1" -v n="$2" 'BEGIN {
		print "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
		print "<title>" name "</title><link>https://" name ".example/</link>"
		for (i = n; i >= 1; i--) {
			words = ""
			for (w = 0; w < 60; w++) words = words " word" (i * 61 + w)
			print "<item><title>" name " story " i "</title><link>https://" name ".example/" i "</link>"
			print "<guid>" name "-" i "</guid><description>Story " i ":" words ".</description></item>"
		}
		print "</channel></rss>"
	}' >"$TMP/feeds/$1.xml.new" && mv "$TMP/feeds/$1.xml.new" "$TMP/feeds/$1.xml"
}

# conf DIR SPOOL FEED [EXTRA LINES...]
conf() {
	dir=$1 spool=$2 feed=$3
	shift 3
	mkdir -p "$dir"
	{
		echo "[feedspool]"
		echo "state = state.db"
		echo "spool = $spool"
		echo "allow_private = 127.0.0.1"
		echo "format = json+text"
		echo "near_duplicates = no"
		echo "jitter = 0"
		for l in "$@"; do echo "$l"; done
		echo "[feed $feed]"
		echo "url = $BASE/feed/$feed.xml?max_age=-1"
	} >"$dir/feedspool.conf"
}

logged() { grep -Eq -- "$2" "$1"; }
count() { ls "$1" 2>/dev/null | grep -c '\.json$'; }
has() { [ "$(count "$1")" -ge "$2" ]; }

start() {
	"$FEEDSPOOL" run -c "$1/feedspool.conf" 2>"$1/run.err" &
	daemon=$!
}
stop() {
	kill -TERM $daemon
	wait $daemon
	expect_eq "$1: SIGTERM stops the daemon with 0" "$?" 0
	daemon=
}

# invariants CASE DIR SPOOL FEED N: every article of the feed is in the spool exactly once
invariants() {
	"$FEEDSPOOL" parse --url "$BASE/feed/$4.xml?max_age=-1" "$TMP/feeds/$4.xml" | jq -r .id | sort >"$2/expected"
	ls "$3/new" "$3/cur" 2>/dev/null | sed -n 's/\.json$//p' | sort >"$2/got"
	expect_eq "$1: the feed has $5 articles" "$(wc -l <"$2/expected" | tr -d ' ')" "$5"
	expect_eq "$1: every article landed, and nothing else" "$(diff "$2/expected" "$2/got" | grep -c '^[<>]')" 0
	expect_eq "$1: the fetches wrote $5 articles in all (none twice)" \
		"$(sed -n "s/^feedspool: feed $4: .*[ (]\([0-9][0-9]*\) new.*/\1/p" "$2/run.err" | awk '{ s += $1 } END { print s + 0 }')" "$5"
	expect_eq "$1: each with its text" "$(ls "$3/new" "$3/cur" 2>/dev/null | grep -c '\.txt$')" "$5"
	expect_eq "$1: tmp/ is left empty" "$(ls -A "$3/tmp" | wc -l | tr -d ' ')" 0
}

# --- (a) the disk fills up ------------------------------------------------------------------
A=$TMP/a SP=$TMP/mnt/a
mkdir -p "$SP/tmp" "$SP/new" "$SP/cur"
mkfeed full 30
conf "$A" "$SP" full "interval = 30m"
# fill the tmpfs, then give back 12 pages: room for a few articles (a file takes a page)
dd if=/dev/zero of="$TMP/mnt/filler" bs=64k 2>/dev/null
truncate -s -49152 "$TMP/mnt/filler"
start "$A"
wait_for "(a) ENOSPC is logged, naming the spool file" 60 logged "$A/run.err" \
	"^feedspool: spool $SP/tmp/[0-9a-f]{16}\.(json|txt): No space left on device: not accepting articles until it can be written again"
wait_for "(a) the fetch ends, reporting it" 60 logged "$A/run.err" "^feedspool: feed full: error: not accepted: spool "
check "(a) the feed waits for a retry" grep -q "(retry once the spool and state can be written)" "$A/run.err"
check "(a) the daemon keeps running" kill -0 $daemon
landed=$(sed -n 's/^feedspool: feed full: error: .*(\([0-9]*\) new, kept for a retry).*/\1/p' "$A/run.err" | head -1)
checks=$((checks + 1))
[ "$landed" -lt 30 ] || fail "(a) the tmpfs did not fill up ($landed articles landed)"
expect_eq "(a) nothing is fetched while the spool cannot be written" "$(requests full)" 1
rm "$TMP/mnt/filler"
wait_for "(a) writable again is logged" 60 logged "$A/run.err" \
	"^feedspool: spool $SP and state $A/state.db can be written again: accepting articles"
wait_for "(a) the rest of the feed lands" 60 has "$SP/new" 30
wait_for "(a) the second fetch ends" 60 logged "$A/run.err" "^feedspool: feed full: ok: $((30 - landed)) new, $landed duplicate"
stop "(a)"
invariants "(a)" "$A" "$SP" full 30
checks=$((checks + 1))
[ "$(grep -c 'not accepting articles' "$A/run.err")" -eq 1 ] || fail "(a) the trouble is logged once: $(grep 'not accepting' "$A/run.err")"

# --- (b) the spool turns read-only ----------------------------------------------------------
B=$TMP/b SP=$TMP/mnt/b
mkfeed ro 10
conf "$B" "$SP" ro "interval = 1s" "min_interval = 1s"
start "$B"
wait_for "(b) the first 10 articles land" 60 has "$SP/new" 10
# a remount to read-only fails while a file is open for writing: try until it takes
wait_for "(b) the spool's file system is remounted read-only" 30 mount -o remount,ro "$TMP/mnt"
mkfeed ro 25
wait_for "(b) the read-only file system is logged" 60 logged "$B/run.err" \
	"^feedspool: spool $SP.*: Read-only file system: not accepting articles until it can be written again"
check "(b) the daemon keeps running" kill -0 $daemon
expect_eq "(b) nothing lands on a read-only spool" "$(count "$SP/new")" 10
mount -o remount,rw "$TMP/mnt"
wait_for "(b) writable again is logged" 60 logged "$B/run.err" "can be written again: accepting articles"
wait_for "(b) the rest of the feed lands" 60 has "$SP/new" 25
stop "(b)"
invariants "(b)" "$B" "$SP" ro 25

# --- (c) the state database is locked ------------------------------------------------------
C=$TMP/c SP=$TMP/c/spool
mkfeed locked 10
conf "$C" spool locked "interval = 1s" "min_interval = 1s"
start "$C"
wait_for "(c) the first 10 articles land" 60 has "$SP/new" 10
python3 - "$C/state.db" "$C/locked" "$C/release" <<'EOF' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
deadline = time.monotonic() + 120
while not os.path.exists(sys.argv[3]) and time.monotonic() < deadline:
    time.sleep(0.05)
db.execute("ROLLBACK")
EOF
locker=$!
wait_for "(c) another process holds the state's write lock" 30 test -e "$C/locked"
mkfeed locked 25
wait_for "(c) the lock is logged" 60 logged "$C/run.err" \
	"^feedspool: state $C/state.db: database is locked: not accepting articles until it can be written again"
check "(c) the daemon keeps running" kill -0 $daemon
touch "$C/release"
wait $locker
locker=
wait_for "(c) writable again is logged" 60 logged "$C/run.err" "can be written again: accepting articles"
wait_for "(c) the rest of the feed lands" 60 has "$SP/new" 25
stop "(c)"
invariants "(c)" "$C" "$SP" locked 25

# --- (d) back-pressure ----------------------------------------------------------------------
D=$TMP/d SP=$TMP/d/spool
mkfeed pressure 20
conf "$D" spool pressure "interval = 30m" "max_pending = 6"
: >"$D/taken"
# the sampler: the most articles ever seen in new/
( while :; do count "$SP/new"; sleep 0.02; done ) >"$D/samples" 2>/dev/null &
sampler=$!
start "$D"
wait_for "(d) the fetch is done" 60 logged "$D/run.err" "^feedspool: feed pressure: ok: 20 new"
wait_for "(d) new/ fills up to max_pending" 30 has "$SP/new" 6
expect_eq "(d) the other 14 wait in tmp/" "$(ls "$SP/tmp" | grep -c '\.json$')" 14
# the reader: takes everything in new/ to cur/, refusing an id seen before
take() {
	for f in "$SP"/new/*.json; do
		[ -e "$f" ] || continue
		id=$(basename "$f" .json)
		if grep -qx "$id" "$D/taken"; then
			fail "(d) article $id arrived twice"
		fi
		echo "$id" >>"$D/taken"
		mv "$SP/new/$id.txt" "$SP/cur/" 2>/dev/null
		mv "$f" "$SP/cur/"
	done
}
all_taken() {
	take
	[ "$(wc -l <"$D/taken")" -ge 20 ]
}
wait_for "(d) a reader gets all 20 articles in rounds" 120 all_taken
kill $sampler
wait $sampler 2>/dev/null
sampler=
stop "(d)"
expect_eq "(d) new/ never held more than max_pending articles" "$(sort -n "$D/samples" | tail -1)" 6
invariants "(d)" "$D" "$SP" pressure 20

# `once` under back-pressure: what it fetched waits in tmp/; it fetches nothing while new/ is full
E=$TMP/e SP=$TMP/e/spool
mkfeed once 10
conf "$E" spool once "max_pending = 4"
"$FEEDSPOOL" once -c "$E/feedspool.conf" 2>"$E/once1.err"
expect_eq "(d) once exits 0 ($(cat "$E/once1.err"))" "$?" 0
expect_eq "(d) once fills new/ to max_pending" "$(count "$SP/new")" 4
check "(d) once says what waits" grep -q "spool: 6 articles wait in tmp/ for room in new/ (max_pending 4); the next start publishes them" "$E/once1.err"
"$FEEDSPOOL" once -c "$E/feedspool.conf" 2>"$E/once2.err"
expect_eq "(d) once with new/ full exits 1" "$?" 1
check "(d) and says why ($(cat "$E/once2.err"))" grep -q "feed once: not fetched: new/ is full (max_pending)" "$E/once2.err"
expect_eq "(d) its summary names the feed it did not fetch" "$(grep '^feedspool: [0-9]* feeds\?, ' "$E/once2.err")" \
	"feedspool: 1 feed, 1 failed (once); 0 new, 0 duplicate, 0 dropped"
expect_eq "(d) it fetched nothing" "$(requests once)" 1
expect_eq "(d) new/ still holds max_pending" "$(count "$SP/new")" 4
: >"$D/taken"
rounds=0
while [ "$(wc -l <"$D/taken")" -lt 10 ] && [ $rounds -lt 10 ]; do
	rounds=$((rounds + 1))
	take
	"$FEEDSPOOL" once -c "$E/feedspool.conf" 2>>"$E/once3.err"
	checks=$((checks + 1))
	[ "$(count "$SP/new")" -le 4 ] || fail "(d) once put $(count "$SP/new") articles in new/"
done
take
expect_eq "(d) taken in rounds, all 10 arrive once" "$(sort "$D/taken" | uniq | wc -l | tr -d ' ')" 10
expect_eq "(d) and nothing twice" "$(wc -l <"$D/taken" | tr -d ' ')" 10
finish

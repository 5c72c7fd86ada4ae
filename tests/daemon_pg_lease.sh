#!/bin/bash
# SPDX-License-Identifier: MIT
# Two instances of the daemon on one PostgreSQL database (tests/lib_engines.sh) and one config,
# over feeds on the fixture server (all on one host, 127.0.0.1:PORT): leases share the work, so
# that each feed is fetched once per due period in all (fixture /stats, requests per path);
# max_per_host holds across the instances (requests answered at once, /stats max_concurrent:
# max_connections would count the connections each instance keeps open, idle, for reuse);
# `ctl refresh` on one instance wakes the others (NOTIFY) and the feed is fetched again; a
# Retry-After met by one instance is saved as the host's hold; a feed added by a reload is
# claimed; an instance killed (SIGKILL) while it fetches loses its lease, and the other instance
# fetches that feed within the lease time.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
need python3
need curl
need jq
FEEDS=8
SLOW=6
LEASE=4
mkdir -p "$TMP/feeds"
for f in $(seq 1 $FEEDS); do
	{
		echo '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
		echo "<title>Feed $f</title><link>https://feed$f.example/</link>"
		for i in 1 2 3; do
			echo "<item><title>Story $f.$i</title><link>https://feed$f.example/s/$i</link>"
			echo "<guid>feed$f-$i</guid><description>Story $i of feed $f</description></item>"
		done
		echo '</channel></rss>'
	} >"$TMP/feeds/f$f.xml"
done

a="" b=""
trap '[ -n "$a" ] && kill -9 $a 2>/dev/null; [ -n "$b" ] && kill -9 $b 2>/dev/null; kill $server 2>/dev/null; stop_engines; [ -n "${KEEP_TMP:-}" ] && mkdir -p "$KEEP_TMP" && cp "$TMP"/*.err "$KEEP_TMP"; rm -rf "$TMP"' EXIT
start_postgres
start_fixture_server "$TMP/feeds"

# conf NAME: instance NAME's configuration (the same but for its spool)
conf() {
	pg_conf_preamble "$TMP/$1/spool" 1h
	# one fetch at a time per host in all; an instance alone claims up to 4 (4 x max_total),
	# the slow feeds first (by name, all due at once): both would fetch them at once
	echo "max_per_host = 1"
	echo "max_total = 1"
	echo "lease_time = ${LEASE}s"
	for f in $(seq 1 $FEEDS); do
		printf '[feed f%s]\nurl = http://127.0.0.1:%s/feed/f%s.xml?max_age=-1\n' "$f" "$PORT" "$f"
	done
	# a body trickled over 1.2 s (the start of a feed: recorded as a parse failure)
	for f in $(seq 1 $SLOW); do
		printf '[feed a%s]\nurl = http://127.0.0.1:%s/slow?n=2&ms=600&feed=1&s=%s\n' "$f" "$PORT" "$f"
	done
}
mkdir -p "$TMP/a" "$TMP/b"
conf a >"$TMP/a/feedspool.conf"
conf b >"$TMP/b/feedspool.conf"

psql_q() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U feedspool -d postgres -Atc "$1"; }
stats() { curl -s "http://127.0.0.1:$PORT/stats"; }
count() { stats | jq --arg p "$1" '.requests[$p] // 0'; }
# every feed fetched at least once: each /feed/ path, and SLOW requests of /slow
all_fetched() {
	local s
	s=$(stats)
	[ "$(jq '[.requests | to_entries[] | select(.key | startswith("/feed/"))] | length' <<<"$s")" -eq $FEEDS ] &&
		[ "$(jq '.requests["/slow"] // 0' <<<"$s")" -ge $SLOW ]
}
recorded() { cat "$TMP"/a.err "$TMP"/b.err 2>/dev/null | grep -cE "feed [fa][0-9]+: .*; next "; }
recorded_at_least() { [ "$(recorded)" -ge "$1" ]; }

"$FEEDSPOOL" run -v -c "$TMP/a/feedspool.conf" 2>"$TMP/a.err" &
a=$!
"$FEEDSPOOL" run -v -c "$TMP/b/feedspool.conf" 2>"$TMP/b.err" &
b=$!

# --- one due period: every feed once in all, at most max_per_host at once on the host ----------
wait_for "every feed fetched" 60 all_fetched
wait_for "every fetch recorded" 30 recorded_at_least $((FEEDS + SLOW))
for f in $(seq 1 $FEEDS); do
	expect_eq "feed f$f fetched once by the two instances" "$(count /feed/f$f.xml)" 1
done
expect_eq "the slow feeds fetched once each" "$(count /slow)" $SLOW
check "max_per_host (1) holds across the instances ($(stats | jq -c .max_concurrent))" \
	test "$(stats | jq '[.max_concurrent[]] | max')" -le 1
check "both instances ran ($(tail -2 "$TMP/a.err"); $(tail -2 "$TMP/b.err"))" kill -0 $a $b
no_lease() { [ "$(psql_q "SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL")" -eq 0 ]; }
wait_for "no lease is left once every fetch is saved" 20 no_lease
expect_eq "a lease per fetch" "$(psql_q "SELECT sum(lease_no) FROM feeds")" $((FEEDS + SLOW))

# --- ctl refresh on one instance: due now in the database, the instances woken -------------------
"$FEEDSPOOL" ctl -c "$TMP/a/feedspool.conf" refresh f3 >/dev/null
refreshed() { [ "$(count /feed/f3.xml)" -ge 2 ]; }
wait_for "the refreshed feed is fetched again" 20 refreshed
check "an instance was woken by NOTIFY" grep -q "woken by NOTIFY" "$TMP/a.err" "$TMP/b.err"
expect_eq "the refresh fetched that feed only" "$(count /feed/f2.xml)" 1

# --- a Retry-After (429) met by one instance holds the host for both, in the database ------------
t0=$(date +%s)
for i in a b; do
	printf '[feed busy]\nurl = http://127.0.0.1:%s/status/429?retry_after=3\n' "$PORT" >>"$TMP/$i/feedspool.conf"
done
kill -HUP $a $b
held() { [ "$(psql_q "SELECT count(*) FROM hosts WHERE host = '127.0.0.1:$PORT' AND hold_until >= $t0 + 2")" -eq 1 ]; }
wait_for "the host's hold is saved in the database" 20 held

# --- a feed added by a reload, then its fetcher killed -------------------------------------------
for i in a b; do
	printf '[feed long]\nurl = http://127.0.0.1:%s/slow?n=60&ms=500&feed=1&s=long\n' "$PORT" \
		>>"$TMP/$i/feedspool.conf"
done
kill -HUP $a $b
leased_long() { [ -n "$(psql_q "SELECT lease_owner FROM feeds WHERE name = 'long' AND lease_owner IS NOT NULL")" ]; }
wait_for "the new feed is claimed" 20 leased_long
owner=$(psql_q "SELECT lease_owner FROM feeds WHERE name = 'long'")
no=$(psql_q "SELECT lease_no FROM feeds WHERE name = 'long'")
case $owner in
*/a/spool) victim=$a survivor=$b ;; # owner: HOST:the spool's real path
*/b/spool) victim=$b survivor=$a ;;
*)
	fail "the lease names no instance: '$owner'"
	finish
	exit 1 # the trap kills both instances
	;;
esac
slow_before=$(count /slow)
kill -9 "$victim"
wait "$victim" 2>/dev/null
[ "$victim" = "$a" ] && a="" || b=""
taken_over() {
	[ "$(psql_q "SELECT lease_no > $no AND lease_owner <> '$owner' FROM feeds WHERE name = 'long'")" = t ]
}
# the lease (renewed every LEASE/3 s) expires within LEASE s of the kill; the survivor looks at
# least every second meanwhile (a quarter of the lease time)
wait_for "the survivor claims the killed instance's feed within the lease time" $((LEASE + 4)) taken_over
check "and fetches it" test "$(count /slow)" -gt "$slow_before"
check "the survivor runs" kill -0 "$survivor"
kill -TERM "$survivor"
wait "$survivor"
expect_eq "the survivor stops cleanly" "$?" 0
check "it says how many claims gave how many leases" \
	grep -qE "stopped \([0-9]+ claims of due feeds gave [0-9]+ leases\)" "$TMP/a.err" "$TMP/b.err"
a="" b=""
expect_eq "its leases are given back when it stops" \
	"$(psql_q "SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL AND lease_expires > extract(epoch FROM now())")" 0
finish

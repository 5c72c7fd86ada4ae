#!/bin/bash
# SPDX-License-Identifier: MIT
# Leases across a PostgreSQL outage: a feed whose fetch ends while the database is away cannot
# save its state (which ends its lease) nor give its lease back; once the database is back, the
# instance ends the leases it holds for no running attempt, so that the feed is fetched again at
# once, not a lease time later, and every article is written once. (Seen as `daemon_pg.sh`
# waiting 90 s for intake to resume when PostgreSQL stopped during a save.)
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
need python3
need curl
need jq
LEASE=120 # far longer than the waits below: an expiring lease cannot pass this test
mkdir -p "$TMP/feeds" "$TMP/run"
daemon=""
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; kill $server 2>/dev/null; stop_engines; [ -n "${KEEP_TMP:-}" ] && mkdir -p "$KEEP_TMP" && cp "$TMP"/*.err "$KEEP_TMP"; rm -rf "$TMP"' EXIT
start_postgres
grow_feeds "$TMP/feeds" 2 5
start_fixture_server "$TMP/feeds"
{
	pg_conf_preamble spool 1h
	echo "lease_time = ${LEASE}s"
	# f1 is answered only once the test creates feeds/open (the fixture's gate)
	printf '[feed f1]\nurl = http://127.0.0.1:%s/feed/f1.xml?max_age=-1&gate=open\n' "$PORT"
	printf '[feed f2]\nurl = http://127.0.0.1:%s/feed/f2.xml?max_age=-1\n' "$PORT"
} >"$TMP/run/feedspool.conf"
SPOOL=$TMP/run/spool

psql_q() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U feedspool -d postgres -Atc "$1"; }
count() { curl -s "http://127.0.0.1:$PORT/stats" | jq --arg p "$1" '.requests[$p] // 0'; }
requested() { [ "$(count "$1")" -ge "$2" ]; }
spooled() { find "$SPOOL/new" -name '*.json' | wc -l; }
spooled_at_least() { [ "$(spooled)" -ge "$1" ]; }
logged() { grep -qE "$1" "$TMP/run.err"; }

"$FEEDSPOOL" run -v -c "$TMP/run/feedspool.conf" 2>"$TMP/run.err" &
daemon=$!
wait_for "f2 is written" 30 spooled_at_least 5
wait_for "f1's fetch waits at the gate" 30 requested /feed/f1.xml 1
expect_eq "f1 is leased while it is fetched" \
	"$(psql_q "SELECT lease_owner IS NOT NULL FROM feeds WHERE name = 'f1'")" t

# the database goes away, then f1's answer arrives: nothing of it can be recorded
stop_postgres
wait_for "the database's absence is logged" 30 logged "state: the database is away|not accepting articles"
touch "$TMP/feeds/open"
wait_for "f1's fetch ends while the database is away" 30 logged "feed f1: "
expect_eq "nothing of f1 written meanwhile" "$(spooled)" 5
restart_postgres

# back: f1's lease (120 s) ends at once and f1 is claimed and fetched again
wait_for "f1 is fetched again soon after the database is back" 30 requested /feed/f1.xml 2
wait_for "f1's articles are written" 30 spooled_at_least 10
expect_eq "every article once" "$(spooled)" 10
expect_eq "distinct ids" "$(find "$SPOOL/new" -name '*.json' -printf '%f\n' | sort -u | wc -l)" 10
no_lease() { [ "$(psql_q "SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL")" -eq 0 ]; }
wait_for "no lease is left once f1 is saved" 20 no_lease
check "the daemon runs on ($(tail -2 "$TMP/run.err"))" kill -0 $daemon
kill -TERM $daemon
wait $daemon
expect_eq "a clean stop" "$?" 0
daemon=""
finish

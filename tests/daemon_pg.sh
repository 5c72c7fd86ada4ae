#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon with its state in PostgreSQL (state = postgresql://..., a throwaway server from
# tests/lib_engines.sh), over feeds on the fixture server: `once` writes every article once and
# a second `once` nothing (validators and seen set kept in the database); a `run` killed with
# SIGKILL mid-run and started again writes nothing twice and loses nothing; PostgreSQL stopped
# mid-run: intake stops (logged once), resumes once it is back, nothing lost or duplicated.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
need python3
FEEDS=16
mkdir -p "$TMP/feeds" "$TMP/run"

daemon=""
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; kill $server 2>/dev/null; stop_engines; [ -n "${KEEP_TMP:-}" ] && mkdir -p "$KEEP_TMP" && cp "$TMP"/*.err "$KEEP_TMP"; rm -rf "$TMP"' EXIT
start_postgres
grow_feeds "$TMP/feeds" $FEEDS 15
start_fixture_server "$TMP/feeds"

{
	pg_conf_preamble spool 1s
	echo "min_interval = 1s"
	for f in $(seq 1 $FEEDS); do
		printf '[feed f%s]\nurl = http://127.0.0.1:%s/feed/f%s.xml?max_age=-1\n' "$f" "$PORT" "$f"
	done
} >"$TMP/run/feedspool.conf"
CONF=$TMP/run/feedspool.conf
SPOOL=$TMP/run/spool

psql_q() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U feedspool -d postgres -Atc "$1"; }
# a reader: takes everything from new/ to cur/, refusing to see an id twice
take() {
	local f id
	for f in "$SPOOL"/new/*.json; do
		[ -e "$f" ] || continue
		id=$(basename "$f" .json)
		if [ -e "$SPOOL/cur/$id.json" ] || grep -qx "$id" "$TMP/taken" 2>/dev/null; then
			fail "article $id was written twice"
		fi
		echo "$id" >>"$TMP/taken"
		mv "$f" "$SPOOL/cur/"
	done
}
taken() { take; wc -l <"$TMP/taken" 2>/dev/null || echo 0; }
taken_at_least() { [ "$(taken)" -ge "$1" ]; }
# cheaper than taking: the files waiting in new/ (the run is killed as soon as one appears)
waiting() { [ -n "$(find "$SPOOL/new" -name '*.json' -print -quit 2>/dev/null)" ]; }
written_in_db() { psql_q "SELECT count(*) FROM seen WHERE status = 2"; }

# --- once, twice ---------------------------------------------------------------------------------
"$FEEDSPOOL" once -c "$CONF" >/dev/null 2>"$TMP/once1.err"
expect_eq "once on PostgreSQL ($(tail -3 "$TMP/once1.err"))" "$?" 0
expect_eq "every article written once" "$(taken)" $((FEEDS * 15))
expect_eq "the database records each as written" "$(written_in_db)" $((FEEDS * 15))
check "validators saved in the database" \
	test "$(psql_q "SELECT count(*) FROM feeds WHERE etag IS NOT NULL OR last_modified IS NOT NULL")" -eq $FEEDS
check "the state is not a file named like the URI" test ! -e "$TMP/run/postgresql:"
"$FEEDSPOOL" once -c "$CONF" >/dev/null 2>"$TMP/once2.err"
expect_eq "a second once ($(tail -3 "$TMP/once2.err"))" "$?" 0
expect_eq "a second once writes nothing" "$(taken)" $((FEEDS * 15))
check "a second once says so" grep -q " 0 new" "$TMP/once2.err"

# --- run, SIGKILL mid-run, run again -------------------------------------------------------------
grow_feeds "$TMP/feeds" $FEEDS 45
"$FEEDSPOOL" run -c "$CONF" 2>"$TMP/run1.err" &
daemon=$!
wait_for "run writes the new articles" 60 waiting
kill -9 $daemon
wait $daemon 2>/dev/null
daemon=""
before=$(taken)
check "killed mid-run ($before of $((FEEDS * 45)) taken)" test "$before" -lt $((FEEDS * 45))
"$FEEDSPOOL" run -c "$CONF" 2>"$TMP/run2.err" &
daemon=$!
wait_for "the restarted run writes the rest" 60 taken_at_least $((FEEDS * 45))
expect_eq "after the kill: every article once" "$(taken)" $((FEEDS * 45))
check "the restarted run is running ($(tail -2 "$TMP/run2.err"))" kill -0 $daemon
check "the control socket is in the spool" test -S "$SPOOL/feedspool.ctl"

# --- PostgreSQL stopped mid-run ------------------------------------------------------------------
stop_postgres
grow_feeds "$TMP/feeds" $FEEDS 75
wait_for "the database's absence is logged" 30 grep -q "state: the database is away:" "$TMP/run2.err"
# intake stops: the pipeline cannot record, or (leases) no feed can be claimed to fetch
wait_for "intake stops" 30 grep -qE "not accepting articles|no feed can be claimed now" "$TMP/run2.err"
check "the daemon is still running ($(tail -2 "$TMP/run2.err"))" kill -0 $daemon
restart_postgres
wait_for "intake resumes: every article of the grown feeds" 90 taken_at_least $((FEEDS * 75))
wait_for "the database's return is logged" 30 grep -q "the database is back" "$TMP/run2.err"
expect_eq "the absence is logged once" "$(grep -c "state: the database is away:" "$TMP/run2.err")" 1
check "intake stopped once" test "$(grep -c "not accepting articles" "$TMP/run2.err")" -le 1 -a \
	"$(grep -c "no feed can be claimed now" "$TMP/run2.err")" -le 1
check "no URI (it may carry a password) in the log" test "$(grep -c "$PG_URI" "$TMP/run2.err")" -eq 0
check "the daemon ran throughout ($(tail -2 "$TMP/run2.err"))" kill -0 $daemon
kill -TERM $daemon
wait $daemon
expect_eq "run stops cleanly ($(tail -3 "$TMP/run2.err"))" "$?" 0
daemon=""
expect_eq "after the restart: every article once" "$(taken)" $((FEEDS * 75))
expect_eq "the database records each as written once" "$(written_in_db)" $((FEEDS * 75))
finish

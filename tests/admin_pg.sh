#!/bin/sh
# SPDX-License-Identifier: MIT
# The administrative commands with state = postgresql://...: `feeds` and `dedup` read the
# database (read-only), the same as they read the SQLite state it was imported from; `check`
# connects and refuses a server that does not answer or a schema newer than the build; none of
# them takes the URI for a file name (no file "postgresql:..." is made), and none shows its
# password. Over a throwaway PostgreSQL (tests/lib_engines.sh).
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
trap 'stop_engines; rm -rf "$TMP"' EXIT
need jq
D=$TMP/d
mkdir -p "$D"

conf() { seed_conf "$D/$1" "$2" "$3"; } # conf FILE STATE SPOOL: the three seed feeds
# run NAME COMMAND...: runs a feedspool command in $D (where a relative file would be made);
# its output in $TMP/NAME.out and .err, its status in rc
run() {
	_n=$1
	shift
	(cd "$D" && "$FEEDSPOOL" "$@" >"$TMP/$_n.out" 2>"$TMP/$_n.err")
	rc=$?
}
no_uri_file() { # no_uri_file WHEN: no file or directory named after the URI anywhere in $D
	check "$1: no file is made of the URI ($(find "$D" -name 'postgres*' | head -3))" \
		test -z "$(find "$D" -name 'postgres*')"
}

start_postgres
PW_URI="postgresql://feedspool:s3cr3tpw@127.0.0.1:$PG_PORT/postgres"

# --- an empty database: check passes (the daemon creates the schema), feeds says why not ------
conf pg.conf "$PW_URI" spool-pg
mkdir -p "$D/spool-pg"
run check0 check -c pg.conf
expect_eq "check on an empty database ($(cat "$TMP/check0.err"))" "$rc" 0
check "check shows the state without its password ($(grep '^state' "$TMP/check0.out"))" \
	grep -qx "state = postgresql://feedspool:\*\*\*@127.0.0.1:$PG_PORT/postgres" "$TMP/check0.out"
run feeds0 feeds -c pg.conf
expect_eq "feeds before any daemon ran on the database" "$rc" 1
check "... says the database holds no state yet ($(cat "$TMP/feeds0.err"))" \
	grep -q "state postgresql://feedspool:\*\*\*@127.0.0.1:$PG_PORT/postgres: the database holds no feedspool state" "$TMP/feeds0.err"
no_uri_file "feeds on an empty database"
expect_eq "feeds made no schema (it reads only)" \
	"$("$PG_BIN/psql" "$PG_URI" -Atc "SELECT to_regclass('feedspool_schema') IS NULL")" t

# --- a state made by a real run, with a near-duplicate and filter counters, in both stores -----
conf a.conf state.db spool
"$FEEDSPOOL" once -c "$D/a.conf" >/dev/null 2>"$TMP/once.err"
expect_eq "once on SQLite ($(tail -2 "$TMP/once.err"))" "$?" 0
"$FEEDSPOOL" state export -c "$D/a.conf" >"$TMP/a.jsonl"
last=$(grep '"type":"seen"' "$TMP/a.jsonl" | tail -1 | jq -r .id)
{
	head -1 "$TMP/a.jsonl"
	grep '"type":"feed"' "$TMP/a.jsonl"
	printf '{"type":"seen","id":"0000000000000001","feed":"outlet-b","guid":"g-alias","simhash":-5,"status":3,"alias_of":"%s","first_seen":100,"last_seen":200,"content_hash":0,"revision":0,"sketch":null,"why":"near: 9 shared words, distance 2","keys":[]}\n' "$last"
	grep '"type":"seen"' "$TMP/a.jsonl"
	printf '{"type":"meta","key":"filters","value":"[{\\"name\\":\\"lua1\\",\\"kept\\":3,\\"dropped\\":1,\\"errors\\":0,\\"ms\\":1.5}]"}\n'
} >"$TMP/full.jsonl"
"$FEEDSPOOL" state import -c "$D/a.conf" -s "$D/copy.db" <"$TMP/full.jsonl" 2>"$TMP/imp.err"
expect_eq "import into SQLite ($(cat "$TMP/imp.err"))" "$?" 0
"$FEEDSPOOL" state import -c "$D/a.conf" -s "$PG_URI" <"$TMP/full.jsonl" 2>"$TMP/imp.err"
expect_eq "import into PostgreSQL ($(cat "$TMP/imp.err"))" "$?" 0
conf sq.conf copy.db spool
for args in "feeds" "feeds --json" "dedup" "dedup outlet-b" "dedup outlet-a"; do
	set -- $args
	run sq "$1" -c sq.conf ${2:+"$2"}
	sq_rc=$rc
	run pg "$1" -c pg.conf ${2:+"$2"}
	expect_eq "$args on PostgreSQL ($(head -2 "$TMP/pg.err"))" "$rc" "$sq_rc"
	check "$args: the same output from PostgreSQL as from SQLite ($(diff "$TMP/sq.out" "$TMP/pg.out" | head -5))" \
		cmp -s "$TMP/sq.out" "$TMP/pg.out"
	check "$args: something was printed" test -s "$TMP/pg.out"
done
run pg feeds --json -c pg.conf
expect_eq "feeds --json: the three feeds from PostgreSQL" "$(jq -r '.feeds[].name' "$TMP/pg.out" | tr '\n' ' ')" "outlet-a outlet-b outlet-c "
expect_eq "feeds --json: the filter counters from PostgreSQL" "$(jq -c '.filters[0] | [.name, .kept]' "$TMP/pg.out")" '["lua1",3]'
# a live lease is shown (the instance fetching the feed now), an expired one is not
"$PG_BIN/psql" "$PG_URI" -Atqc "UPDATE feeds SET lease_owner = 'hostx:/srv/spool-b',
	lease_no = lease_no + 1, lease_expires = extract(epoch FROM now())::bigint + 600
	WHERE name = 'outlet-b'; UPDATE feeds SET lease_owner = 'hosty:/old', lease_expires = 1
	WHERE name = 'outlet-c'" >/dev/null
run pg feeds -c pg.conf
check "feeds shows the live lease ($(grep lease "$TMP/pg.out"))" \
	sh -c "sed -n '/^outlet-b\$/,/^\$/p' '$TMP/pg.out' | grep -Eq '^  lease     hostx:/srv/spool-b until [0-9]{4}-'"
expect_eq "... and no other" "$(grep -c '^  lease' "$TMP/pg.out")" 1
run pg feeds --json -c pg.conf
expect_eq "feeds --json: the lease of each feed" \
	"$(jq -c '[.feeds[] | .lease.owner]' "$TMP/pg.out")" '[null,"hostx:/srv/spool-b",null]'
run pg dedup -c pg.conf
check "dedup names the near-duplicate and its rule ($(head -3 "$TMP/pg.out"))" \
	grep -q "rule      near: 9 shared words, distance 2" "$TMP/pg.out"
check "dedup lists it with those the run found" grep -qx "0000000000000001" "$TMP/pg.out"

# --- what a daemon wrote there --------------------------------------------------------------------
"$PG_BIN/psql" "$PG_URI" -Atqc "CREATE DATABASE run" >/dev/null
conf pgrun.conf "postgresql://feedspool@127.0.0.1:$PG_PORT/run" spool-run
"$FEEDSPOOL" once -c "$D/pgrun.conf" >/dev/null 2>"$TMP/oncepg.err"
expect_eq "once on PostgreSQL ($(tail -2 "$TMP/oncepg.err"))" "$?" 0
run sqrun feeds --json -c a.conf
run pgrun feeds --json -c pgrun.conf
expect_eq "feeds after a run on PostgreSQL ($(cat "$TMP/pgrun.err"))" "$rc" 0
expect_eq "feeds --json: the articles seen, as by the same run on SQLite" \
	"$(jq '[.feeds[].articles_seen] | add' "$TMP/pgrun.out")" \
	"$(jq '[.feeds[].articles_seen] | add' "$TMP/sqrun.out")"
expect_eq "feeds --json: every feed fetched" \
	"$(jq '[.feeds[] | select(.last_fetch != null and .failing == false)] | length' "$TMP/pgrun.out")" 3
check "no password in any output" sh -c "! grep -q s3cr3tpw '$TMP'/*.out '$TMP'/*.err"
no_uri_file "feeds and dedup"

# --- a password given as a parameter is not shown either ----------------------------------------
conf pw.conf "$PG_URI?password=s3cr3tpw&connect_timeout=5" spool-pg
run pw check -c pw.conf
expect_eq "check with a password parameter ($(cat "$TMP/pw.err"))" "$rc" 0
check "... shown masked ($(grep '^state' "$TMP/pw.out"))" \
	grep -qx "state = $PG_URI?password=\*\*\*&connect_timeout=5" "$TMP/pw.out"

# --- a newer schema is refused by check and feeds -----------------------------------------------
"$PG_BIN/psql" "$PG_URI" -Atqc "UPDATE feedspool_schema SET version = version + 100" >/dev/null
run checkn check -c pg.conf
expect_eq "check refuses a newer schema" "$rc" 1
check "... saying so ($(cat "$TMP/checkn.err"))" grep -q "newer than this feedspool" "$TMP/checkn.err"
run feedsn feeds -c pg.conf
expect_eq "feeds refuses a newer schema" "$rc" 1
check "... saying so ($(cat "$TMP/feedsn.err"))" grep -q "newer than this feedspool" "$TMP/feedsn.err"
"$PG_BIN/psql" "$PG_URI" -Atqc "UPDATE feedspool_schema SET version = version - 100" >/dev/null

# --- a server that does not answer: a precise error, no file, no password ----------------------
DOWN="postgresql://feedspool:s3cr3tpw@127.0.0.1:$(free_port)/postgres"
conf down.conf "$DOWN" spool-pg
for cmd in check feeds dedup "state export" "state rebuild"; do
	run down $cmd -c down.conf
	expect_eq "$cmd with the server away" "$rc" 1
	check "$cmd: says why, naming the state ($(head -2 "$TMP/down.err"))" \
		grep -Eq "state postgresql://feedspool:\*\*\*@127.0.0.1:[0-9]+/postgres: connection to server .* failed|state export \(PostgreSQL\): connection to server|the state is in PostgreSQL" "$TMP/down.err"
	check "$cmd: no password in its messages" sh -c "! grep -q s3cr3tpw '$TMP/down.err'"
done
no_uri_file "every command with the server away"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# `feedspool state export` and `import`: a SQLite state made by a real `once` run (the seed
# feeds, read as file:// URLs) is exported, imported into a fresh SQLite state and into a
# throwaway PostgreSQL (tests/lib_engines.sh), and exported again from each: the same lines.
# A `once` over the imported SQLite state (its validators cleared, so every feed is read in
# full) writes nothing again. An import is refused into a state that holds articles, and a bad
# line names itself and leaves nothing behind.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
trap 'stop_engines; rm -rf "$TMP"' EXIT
need jq
SEEDS=$FIXTURES/seed-feeds
D=$TMP/d
mkdir -p "$D"

conf() { seed_conf "$D/$1" "$2" "$3"; } # conf FILE STATE SPOOL: the three seed feeds
articles() { find "$D/$1/new" "$D/$1/cur" -name '*.json' 2>/dev/null | wc -l; }

# --- a state made by a real run -------------------------------------------------------------------
conf a.conf state.db spool
"$FEEDSPOOL" once -c "$D/a.conf" >/dev/null 2>"$TMP/once1.err"
expect_eq "once ($(tail -3 "$TMP/once1.err"))" "$?" 0
written=$(articles spool)
check "the first run wrote articles ($written)" test "$written" -gt 0
"$FEEDSPOOL" state export -c "$D/a.conf" >"$TMP/a.jsonl" 2>"$TMP/export.err"
expect_eq "export ($(cat "$TMP/export.err"))" "$?" 0
expect_eq "the header line" "$(head -1 "$TMP/a.jsonl")" '{"type":"feedspool-state","version":1}'
expect_eq "three feeds" "$(jq -c 'select(.type == "feed")' "$TMP/a.jsonl" | wc -l)" 3
seen=$(jq -c 'select(.type == "seen" and .status == 2)' "$TMP/a.jsonl" | wc -l)
expect_eq "one seen record written per article in the spool" "$seen" "$written"
check "lookup keys and sketches are exported" \
	test "$(jq -c 'select(.type == "seen" and (.keys | length) > 0 and .sketch != null)' "$TMP/a.jsonl" | wc -l)" -gt 0
check "validators are exported" \
	test "$(jq -r 'select(.type == "feed") | .last_fetch' "$TMP/a.jsonl" | grep -vc '^0$')" -eq 3
# what the seed feeds do not make, added in export order: an alias recorded before (in id order)
# the article it names, a boilerplate count, a filter counter
last=$(jq -r 'select(.type == "seen") | .id' "$TMP/a.jsonl" | tail -1)
{
	head -1 "$TMP/a.jsonl"
	# outlet-a moved by a permanent redirect: fetched elsewhere than configured (jq on these
	# lines only: it reads numbers as doubles, which the 64-bit hashes of seen lines are not)
	grep '"type":"feed"' "$TMP/a.jsonl" |
		jq -c 'if .name == "outlet-a" then .url = "http://127.0.0.1:9/moved" | .moved_from = "was here" else . end'
	printf '{"type":"seen","id":"0000000000000001","feed":"outlet-b","guid":"g-alias","simhash":-5,"status":3,"alias_of":"%s","first_seen":100,"last_seen":200,"content_hash":0,"revision":0,"sketch":null,"why":"near 2 bits","keys":[]}\n' "$last"
	grep '"type":"seen"' "$TMP/a.jsonl"
	printf '{"type":"boiler","feed":"outlet-a","h":-42,"n":7,"last_seen":300}\n'
	printf '{"type":"meta","key":"filter.test","value":"1 2 3"}\n'
} >"$TMP/full.jsonl"

# --- into a fresh SQLite state, and back ----------------------------------------------------------
"$FEEDSPOOL" state import -c "$D/a.conf" -s "$D/copy.db" <"$TMP/full.jsonl" 2>"$TMP/import.err"
expect_eq "import into a new SQLite state ($(cat "$TMP/import.err"))" "$?" 0
"$FEEDSPOOL" state export -c "$D/a.conf" -s "$D/copy.db" >"$TMP/copy.jsonl"
check "the SQLite copy exports the same lines ($(diff "$TMP/full.jsonl" "$TMP/copy.jsonl" | head -4))" \
	cmp -s "$TMP/full.jsonl" "$TMP/copy.jsonl"
"$FEEDSPOOL" state import -c "$D/a.conf" -s "$D/copy.db" <"$TMP/a.jsonl" 2>"$TMP/again.err"
expect_eq "a second import into it is refused" "$?" 1
check "... saying why ($(cat "$TMP/again.err"))" grep -q "already holds [0-9]* articles" "$TMP/again.err"

# --- the copy, validators cleared, keeps a new spool from getting anything twice -----------------
jq -c 'if .type == "feed" then .etag = null | .last_modified = null | .next_due = 0 else . end' \
	"$TMP/a.jsonl" >"$TMP/novalidators.jsonl"
"$FEEDSPOOL" state import -c "$D/a.conf" -s "$D/moved.db" <"$TMP/novalidators.jsonl" 2>/dev/null
expect_eq "import without validators" "$?" 0
conf moved.conf moved.db spool2
"$FEEDSPOOL" once -c "$D/moved.conf" >/dev/null 2>"$TMP/once2.err"
expect_eq "once over the imported state" "$?" 0
check "every feed was read in full ($(grep -c 'feed outlet' "$TMP/once2.err") lines)" \
	test "$(grep -c '304' "$TMP/once2.err")" -eq 0
expect_eq "nothing written twice ($(grep 'feed outlet' "$TMP/once2.err" | head -3))" "$(articles spool2)" 0
conf fresh.conf fresh.db spool3
"$FEEDSPOOL" once -c "$D/fresh.conf" >/dev/null 2>&1
expect_eq "while an empty state writes them all (the control)" "$(articles spool3)" "$written"

# --- a bad line: named, and nothing of the import kept -------------------------------------------
{ head -2 "$TMP/a.jsonl"; echo '{"type":"seen","id":"short"}'; } >"$TMP/bad.jsonl"
"$FEEDSPOOL" state import -c "$D/a.conf" -s "$D/bad.db" <"$TMP/bad.jsonl" 2>"$TMP/bad.err"
expect_eq "a bad line fails the import" "$?" 1
check "the line is named ($(cat "$TMP/bad.err"))" grep -q "standard input:3: a seen record needs an id" "$TMP/bad.err"
expect_eq "nothing of it was kept" "$("$FEEDSPOOL" state export -c "$D/a.conf" -s "$D/bad.db" | wc -l)" 1

# --- into PostgreSQL, and back --------------------------------------------------------------------
start_postgres
"$FEEDSPOOL" state import -c "$D/a.conf" -s "$PG_URI" <"$TMP/full.jsonl" 2>"$TMP/pg.err"
expect_eq "import into PostgreSQL ($(cat "$TMP/pg.err"))" "$?" 0
"$FEEDSPOOL" state export -c "$D/a.conf" -s "$PG_URI" >"$TMP/pg.jsonl" 2>"$TMP/pgx.err"
expect_eq "export from PostgreSQL ($(cat "$TMP/pgx.err"))" "$?" 0
check "PostgreSQL exports the same lines ($(diff "$TMP/full.jsonl" "$TMP/pg.jsonl" | head -4))" \
	cmp -s "$TMP/full.jsonl" "$TMP/pg.jsonl"
expect_eq "PostgreSQL keeps the configured URL beside the moved one" \
	"$("$PG_BIN/psql" "$PG_URI" -Atc "SELECT config_url || ' ' || url FROM feeds WHERE name = 'outlet-a'")" \
	"file://$SEEDS/outlet-a.rss http://127.0.0.1:9/moved"
"$FEEDSPOOL" state import -c "$D/a.conf" -s "$PG_URI" <"$TMP/a.jsonl" 2>"$TMP/pg2.err"
expect_eq "a second import into PostgreSQL is refused" "$?" 1
check "... without naming the URI ($(cat "$TMP/pg2.err"))" sh -c "! grep -q '$PG_PORT' '$TMP/pg2.err'"
# state = postgresql://... in the configuration selects it
printf '[feedspool]\nstate = %s\nspool = spool\n[feed x]\nurl = http://127.0.0.1:1/x\n' "$PG_URI" >"$D/pg.conf"
"$FEEDSPOOL" state export -c "$D/pg.conf" >"$TMP/pgconf.jsonl" 2>"$TMP/pgconf.err"
expect_eq "export with state = postgresql://... ($(cat "$TMP/pgconf.err"))" "$?" 0
check "the same lines" cmp -s "$TMP/full.jsonl" "$TMP/pgconf.jsonl"
# ... and the daemon runs on it (tests/daemon_pg.sh tests it in full): its one feed fails (exit
# 1, not a refused start), the URI is never logged, no SQLite file is made of that name
(cd "$D" && "$FEEDSPOOL" once -c "$D/pg.conf" >/dev/null 2>"$TMP/pgonce.err")
expect_eq "once runs on a PostgreSQL state, its one feed failing ($(cat "$TMP/pgonce.err"))" $? 1
check "... without naming the URI" sh -c "! grep -q '$PG_PORT' '$TMP/pgonce.err'"
check "... and no file is made for it" test ! -e "$D/postgresql:"
finish

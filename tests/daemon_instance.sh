#!/bin/sh
# SPDX-License-Identifier: MIT
# One daemon per state and per spool: while `run` works on them, a `once` with the same
# configuration, or another configuration naming the same state or the same spool, is refused
# (exit 2, the reason, nothing fetched, nothing created); once it has stopped, `once` runs.
. "${top_srcdir:-.}/tests/lib.sh"
SEEDS=$FIXTURES/seed-feeds
conf() { # DIR STATE SPOOL
	mkdir -p "$1"
	{
		printf '[feedspool]\nstate = %s\nspool = %s\nallow_file_urls = yes\n' "$2" "$3"
		for f in outlet-a.rss outlet-b.atom outlet-c.rdf; do
			printf '[feed %s]\nurl = file://%s/%s\n' "${f%%.*}" "$SEEDS" "$f"
		done
	} >"$1/feedspool.conf"
}
count() { ls "$1" 2>/dev/null | grep -c '\.json$'; }
A=$TMP/a
conf "$A" state.db spool
"$FEEDSPOOL" run -c "$A/feedspool.conf" 2>"$A/run.err" &
daemon=$!
trap 'kill $daemon 2>/dev/null; rm -rf "$TMP"' EXIT
nine() { [ "$(count "$A/spool/new")" -ge 9 ] || ! kill -0 $daemon 2>/dev/null; }
wait_for "the running daemon writes the seed articles" 30 nine
expect_eq "the running daemon wrote the nine seed articles" "$(count "$A/spool/new")" 9
ls -i "$A/spool/new" >"$A/new.before"

state_busy="feedspool: state $A/state.db: in use by another feedspool process (a running service, or another configuration naming the same state)"
spool_busy="feedspool: spool $A/spool: in use by another feedspool process (a running service, or another configuration naming the same spool)"

"$FEEDSPOOL" once -c "$A/feedspool.conf" 2>"$A/once.err"
expect_eq "once beside it exits 2" "$?" 2
expect_eq "and names both" "$(cat "$A/once.err")" "$state_busy
$spool_busy"

B=$TMP/b
conf "$B" state.db "$A/spool"
"$FEEDSPOOL" once -c "$B/feedspool.conf" 2>"$B/once.err"
expect_eq "another state, the same spool: exit 2" "$?" 2
expect_eq "and the spool is named" "$(cat "$B/once.err")" "$spool_busy"
check "and its state is not created" test ! -e "$B/state.db"

C=$TMP/c
conf "$C" "$A/state.db" spool
"$FEEDSPOOL" run -c "$C/feedspool.conf" 2>"$C/run.err"
expect_eq "the same state, another spool: run exits 2" "$?" 2
expect_eq "and the state is named" "$(cat "$C/run.err")" "$state_busy"
check "and its spool is not created" test ! -e "$C/spool"

ls -i "$A/spool/new" >"$A/new.after"
check "new/ is as it was, file for file" cmp -s "$A/new.before" "$A/new.after"
check "the running daemon is still there" kill -0 $daemon
kill -TERM $daemon
wait $daemon
expect_eq "it stops with 0" "$?" 0
daemon=
"$FEEDSPOOL" once -c "$A/feedspool.conf" 2>"$A/once2.err"
expect_eq "then once runs ($(tail -1 "$A/once2.err"))" "$?" 0
check "and writes nothing again" grep -q '^feedspool: 3 feeds, 0 failed; 0 new, [0-9]* duplicate, 0 dropped$' "$A/once2.err"
expect_eq "new/ still holds the nine" "$(count "$A/spool/new")" 9
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# The state cannot rot or leak without a word: an existing state.db, -wal and -shm are brought
# back to 0600; -wal/-shm symbolic links (with or without a state.db) are refused by `check`
# and `once` alike, and a refused start creates nothing; a corrupt state fails `check`, the
# start, and every commit; `feedspool state rebuild` rebuilds the seen set from new/ and cur/ so
# that nothing is written twice; tmp/, new/ and cur/ may not be symbolic links (the spool root
# may). Feeds are the seed feeds, read as file:// URLs.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
SEEDS=$FIXTURES/seed-feeds
D=$TMP/d
mkdir -p "$D"

conf() { # conf FILE FEED...: a configuration in $D reading the named seed feeds
	_f=$1
	shift
	{
		printf '[feedspool]\nstate = state.db\nspool = spool\nallow_file_urls = yes\n'
		for _s in "$@"; do
			printf '[feed %s]\nurl = file://%s/%s\n' "${_s%%.*}" "$SEEDS" "$_s"
		done
	} >"$D/$_f"
}
mode() { stat -c %a "$1"; }

# --- modes: a state.db, -wal and -shm found 0644 are made 0600 ---------------------------------
conf a.conf outlet-a.rss
umask 022
touch "$D/state.db"
"$FEEDSPOOL" once -c "$D/a.conf" >/dev/null 2>"$TMP/modes.err"
expect_eq "once with a 0644 state.db ($(cat "$TMP/modes.err"))" "$?" 0
expect_eq "an existing 0644 state.db is made 0600" "$(mode "$D/state.db")" 600
check "the change is logged ($(grep mode "$TMP/modes.err"))" \
	grep -q "state $D/state.db: mode 0644 changed to 0600" "$TMP/modes.err"
# a daemon killed leaves its -wal and -shm; restored 0644 with the database, all three are mended
# (each run adds a feed, due at once, so that it writes)
conf b.conf outlet-a.rss outlet-b.atom
conf c.conf outlet-a.rss outlet-b.atom outlet-c.rdf
: >"$TMP/run1.err"
"$FEEDSPOOL" run -c "$D/b.conf" 2>"$TMP/run1.err" &
pid=$!
wait_for "run has fetched" 10 grep -q "feed outlet-b:" "$TMP/run1.err"
wait_for "run has its write-ahead log" 10 test -s "$D/state.db-wal"
expect_eq "-wal is created 0600" "$(mode "$D/state.db-wal")" 600
expect_eq "-shm is created 0600" "$(mode "$D/state.db-shm")" 600
kill -9 $pid
wait $pid 2>/dev/null
chmod 0644 "$D/state.db" "$D/state.db-wal" "$D/state.db-shm"
: >"$TMP/run2.err"
"$FEEDSPOOL" run -c "$D/c.conf" 2>"$TMP/run2.err" &
pid=$!
wait_for "run starts again" 10 grep -q "feed outlet-c:" "$TMP/run2.err"
for f in state.db state.db-wal state.db-shm; do
	expect_eq "$f found 0644 is 0600 after a start" "$(mode "$D/$f")" 600
	check "... logged" grep -q "state $D/$f: mode 0644 changed to 0600" "$TMP/run2.err"
done
kill $pid
wait $pid 2>/dev/null
umask 077

# --- -wal and -shm symbolic links, no state.db: refused by check and once, nothing created -----
E=$TMP/e
mkdir -p "$E"
printf 'keep\n' >"$TMP/victim"
printf '[feedspool]\nstate = state.db\nspool = spool\nallow_file_urls = yes\n[feed a]\nurl = file://%s/outlet-a.rss\n' \
	"$SEEDS" >"$E/feedspool.conf"
ln -s "$TMP/victim" "$E/state.db-wal"
ln -s "$TMP/nowhere-shm" "$E/state.db-shm"
(cd "$E" && ls -l | sort) >"$TMP/links-before"
"$FEEDSPOOL" check -c "$E/feedspool.conf" >/dev/null 2>"$TMP/links-check.err"
expect_eq "check refuses a state.db-wal link ($(cat "$TMP/links-check.err"))" "$?" 1
check "check names the link" grep -q "^state $E/state.db-wal: a symbolic link; refusing" "$TMP/links-check.err"
check "check names the -shm link too" grep -q "^state $E/state.db-shm: a symbolic link; refusing" "$TMP/links-check.err"
"$FEEDSPOOL" once -c "$E/feedspool.conf" >/dev/null 2>"$TMP/links-once.err"
rc=$?
check "once refuses it too (exit $rc)" test "$rc" -ne 0
check "once names the real cause ($(cat "$TMP/links-once.err"))" \
	grep -q "state $E/state.db-wal: a symbolic link; refusing" "$TMP/links-once.err"
(cd "$E" && ls -l | sort) >"$TMP/links-after"
expect_eq "a refused start creates nothing and keeps the links" "$(diff "$TMP/links-before" "$TMP/links-after")" ""
expect_eq "the link's target is untouched" "$(cat "$TMP/victim")" keep
check "the dangling link's target is not created" test ! -e "$TMP/nowhere-shm"
# with a state.db beside them, the same
rm "$E/state.db-shm"
"$FEEDSPOOL" once -c "$D/a.conf" >/dev/null 2>&1
cp "$D/state.db" "$E/state.db"
"$FEEDSPOOL" once -c "$E/feedspool.conf" >/dev/null 2>"$TMP/links2.err"
check "once refuses a -wal link beside a state.db" test $? -ne 0
check "... naming it ($(cat "$TMP/links2.err"))" grep -q "state.db-wal: a symbolic link; refusing" "$TMP/links2.err"
expect_eq "the link's target is untouched" "$(cat "$TMP/victim")" keep

# --- corruption: check and the start refuse it, a failed commit fails the run -----------------
C=$TMP/c
mkdir -p "$C"
cat >"$C/cut.sh" <<'EOF'
#!/bin/sh
# keeps everything; before its first answer, cuts the state database short (when asked to)
while IFS= read -r line; do
	if [ -n "${CUT_STATE:-}" ]; then truncate -s 8192 "$CUT_STATE"; CUT_STATE=; fi
	echo '{"verdict":"keep"}'
done
EOF
chmod +x "$C/cut.sh"
printf '[feedspool]\nstate = state.db\nspool = spool\nallow_file_urls = yes\n[feed a]\nurl = file://%s/outlet-a.rss\n' \
	"$SEEDS" >"$C/a.conf"
cp "$C/a.conf" "$C/b.conf"
printf '[feed b]\nurl = file://%s/outlet-b.atom\n[feed c]\nurl = file://%s/outlet-c.rdf\n[filter cut]\nplugin = exec\ncommand = ./cut.sh\n' \
	"$SEEDS" "$SEEDS" >>"$C/b.conf"
"$FEEDSPOOL" once -c "$C/a.conf" >/dev/null 2>&1
expect_eq "feed a is written" "$(ls "$C/spool/new" | grep -c '\.json$')" 3
CUT_STATE=$C/state.db "$FEEDSPOOL" once -c "$C/b.conf" >/dev/null 2>"$TMP/cut.err"
expect_eq "once exits 1 when the state breaks under it ($(tail -3 "$TMP/cut.err"))" "$?" 1
check "the failure names the state file" grep -q "state $C/state.db: database disk image is malformed" "$TMP/cut.err"
check "the summary counts the failed feeds" grep -Eq '^feedspool: 3 feeds, [12] failed' "$TMP/cut.err"
"$FEEDSPOOL" check -c "$C/b.conf" >/dev/null 2>"$TMP/corrupt-check.err"
expect_eq "check fails on the corrupt state ($(cat "$TMP/corrupt-check.err"))" "$?" 1
check "check says corrupt and how to rebuild" \
	grep -q "^state $C/state.db: corrupt (.*); move it aside and rebuild the seen set from the spool: feedspool state rebuild -c $C/b.conf$" \
	"$TMP/corrupt-check.err"
ls "$C/spool/new" >"$TMP/new-before"
"$FEEDSPOOL" once -c "$C/b.conf" >/dev/null 2>"$TMP/corrupt-once.err"
rc=$?
check "once refuses to start on it (exit $rc)" test "$rc" -ne 0
check "... saying so ($(cat "$TMP/corrupt-once.err"))" grep -q "state $C/state.db: corrupt" "$TMP/corrupt-once.err"
expect_eq "... and writes nothing" "$(ls "$C/spool/new")" "$(cat "$TMP/new-before")"
# a reader has taken one article into cur/
first=$(ls "$C/spool/new" | grep '\.json$' | head -1)
mv "$C/spool/new/$first" "$C/spool/cur/$first:2,S"
ls -i "$C/spool/new" "$C/spool/cur" | sort >"$TMP/inodes-before"
"$FEEDSPOOL" state rebuild -c "$C/b.conf" >"$TMP/rebuild.out" 2>"$TMP/rebuild.err"
expect_eq "state rebuild succeeds ($(cat "$TMP/rebuild.out" "$TMP/rebuild.err"))" "$?" 0
check "it says what it did" grep -q "^state $C/state.db: rebuilt from 3 articles in $C/spool/new and $C/spool/cur (0 files skipped); the old one is $C/state.db.broken-" "$TMP/rebuild.out"
check "the broken state is kept aside" test -f "$(ls -d "$C"/state.db.broken-* | head -1)"
expect_eq "the rebuilt state is 0600" "$(mode "$C/state.db")" 600
"$FEEDSPOOL" check -c "$C/b.conf" >/dev/null 2>&1
expect_eq "check passes on the rebuilt state" "$?" 0
"$FEEDSPOOL" once -c "$C/b.conf" >/dev/null 2>"$TMP/after.err"
expect_eq "once runs again ($(cat "$TMP/after.err"))" "$?" 0
check "feed a writes nothing twice ($(grep 'feed a:' "$TMP/after.err"))" \
	grep -q "feed a: ok: 0 new, 3 duplicate" "$TMP/after.err"
ls -i "$C/spool/new" "$C/spool/cur" | sort >"$TMP/inodes-after"
expect_eq "feed a's files are the same files" \
	"$(comm -23 "$TMP/inodes-before" "$TMP/inodes-after" | grep -c json)" 0
check "feeds b and c are written now" test "$(ls "$C/spool/new" | grep -c '\.json$')" -gt 2
"$FEEDSPOOL" state rebuild -c "$C/b.conf" >/dev/null 2>&1
"$FEEDSPOOL" once -c "$C/b.conf" >/dev/null 2>"$TMP/again.err"
check "a second rebuild: still nothing twice ($(grep ' new,' "$TMP/again.err" | tail -1))" \
	grep -q "^feedspool: 3 feeds, 0 failed; 0 new," "$TMP/again.err"
"$FEEDSPOOL" state rebuild -c "$C/b.conf" extra >/dev/null 2>&1
expect_eq "state rebuild takes no operand" "$?" 2

# --- spool: the root may be a link; tmp/, new/ and cur/ may not -------------------------------
S=$TMP/s
mkdir -p "$S/real/tmp" "$S/real/new" "$S/real/cur" "$S/elsewhere"
ln -s real "$S/spool"
printf '[feedspool]\nstate = state.db\nspool = spool\nallow_file_urls = yes\n[feed a]\nurl = file://%s/outlet-a.rss\n' \
	"$SEEDS" >"$S/feedspool.conf"
"$FEEDSPOOL" once -c "$S/feedspool.conf" >/dev/null 2>"$TMP/root.err"
expect_eq "a spool root that is a link is used ($(cat "$TMP/root.err"))" "$?" 0
expect_eq "its articles land in the link's target" "$(ls "$S/real/new" | grep -c '\.json$')" 3
rm -rf "$S/real/new" "$S/state.db"
ln -s ../elsewhere "$S/real/new"
"$FEEDSPOOL" check -c "$S/feedspool.conf" >/dev/null 2>"$TMP/sub-check.err"
expect_eq "check refuses a new/ that is a link" "$?" 1
check "... saying so ($(cat "$TMP/sub-check.err"))" \
	grep -q "^spool $S/spool/new: a symbolic link; refusing (tmp/, new/ and cur/ must be real directories, not links to elsewhere)" \
	"$TMP/sub-check.err"
"$FEEDSPOOL" once -c "$S/feedspool.conf" >/dev/null 2>"$TMP/sub-once.err"
check "once refuses it" test $? -ne 0
check "... saying so ($(cat "$TMP/sub-once.err"))" grep -q "spool/new: a symbolic link; refusing" "$TMP/sub-once.err"
expect_eq "nothing was written through the link" "$(ls "$S/elsewhere" | wc -l)" 0
finish

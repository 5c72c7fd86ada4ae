#!/bin/sh
# SPDX-License-Identifier: MIT
# Fairness (issue 10): beside a 200,000-item feed whose parse and pipeline run take a long time,
# a 20-item feed lands within a second of its own fetch (or, on a loaded machine, a twentieth of
# the big feed's time; compared as the daemon logs them:
# "fetch of feed small done after X s", then "feed small recorded Y s after its fetch"), before
# the big feed is done; and a feed whose server trickles is cut by its own 2 s timeout, not
# later because the loop was busy with the big feed.
. "${top_srcdir:-.}/tests/lib.sh"
mkdir -p "$TMP/www"
sh "${top_srcdir:-.}/tests/gen_bare_feed.sh" 200000 big >"$TMP/www/big.rss" || exit 99
sh "${top_srcdir:-.}/tests/gen_bare_feed.sh" 20 small >"$TMP/www/small.rss" || exit 99
start_fixture_server "$TMP/www"
trap 'kill $server $daemon 2>/dev/null; rm -rf "$TMP"' EXIT
{
	printf '[feedspool]\nstate = %s/state.db\nspool = %s/spool\nallow_private = 127.0.0.1\nnear_duplicates = no\n' "$TMP" "$TMP"
	printf 'max_pending = 1000000\n[feed big]\nurl = %s/feed/big.rss\n' "$BASE"
	printf '[feed small]\nurl = %s/feed/small.rss\n' "$BASE"
	printf '[feed trickle]\nurl = %s/slow?n=100&ms=200&feed=1\ntimeout = 2s\nlow_speed_limit = 0\n' "$BASE"
} >"$TMP/feedspool.conf"
"$FEEDSPOOL" run -v -c "$TMP/feedspool.conf" 2>"$TMP/run.err" &
daemon=$!
landed() { grep -q "feed small recorded" "$TMP/run.err"; }
timed_out() { grep -q "fetch of feed trickle done" "$TMP/run.err"; }
wait_for "the small feed lands" 60 landed
wait_for "the trickling feed ends" 60 timed_out
checks=$((checks + 1))
grep -q "^feedspool: feed big: ok" "$TMP/run.err" && fail "the big feed was done before the small one landed: nothing shows fairness"
fetch=$(sed -n 's/.*fetch of feed small done after \([0-9.]*\) s.*/\1/p' "$TMP/run.err")
delay=$(sed -n 's/.*feed small recorded \([0-9.]*\) s after its fetch.*/\1/p' "$TMP/run.err")
echo "small feed: fetched in ${fetch:-?} s, recorded ${delay:-?} s later" >&2
checks=$((checks + 1))
if ! awk -v d="${delay:-99}" 'BEGIN { exit !(d < 1.0) }'; then
	# slower than a second: a loaded machine is slower at everything, so the big feed's whole
	# time is the yardstick there: the small feed must have landed within a twentieth of it
	big_done() { grep -q "feed big recorded" "$TMP/run.err"; }
	wait_for "the big feed is done" 600 big_done
	bf=$(sed -n 's/.*fetch of feed big done after \([0-9.]*\) s.*/\1/p' "$TMP/run.err")
	br=$(sed -n 's/.*feed big recorded \([0-9.]*\) s after its fetch.*/\1/p' "$TMP/run.err")
	echo "big feed: fetched in ${bf:-?} s, recorded ${br:-?} s later" >&2
	awk -v d="${delay:-99}" -v b="${bf:-0}" -v r="${br:-0}" 'BEGIN { exit !(d < (b + r) / 20) }' ||
		fail "the small feed landed ${delay:-?} s after its fetch: not within 1 s, nor within a twentieth of the big feed's ${bf:-?} + ${br:-?} s"
fi
t=$(sed -n 's/.*fetch of feed trickle done after \([0-9.]*\) s (\(.*\)).*/\1 \2/p' "$TMP/run.err")
echo "trickle: $t" >&2
check "the trickling feed ends with its timeout ($t)" sh -c "echo '$t' | grep -q 'timeout after 2 s'"
checks=$((checks + 1))
awk -v d="${t%% *}" 'BEGIN { exit !(d < 3.0) }' || fail "the 2 s timeout was measured as ${t%% *} s"
kill -TERM $daemon
wait $daemon
expect_eq "the daemon stops with 0" "$?" 0
daemon=
finish

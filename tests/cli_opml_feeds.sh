#!/bin/sh
# SPDX-License-Identifier: MIT
# `opml import -` (the standard input), categories, titles, htmlUrl and repeated URLs through the
# command; the round trip import -> export -> import; `feeds --json` and its exit status (1 while
# a feed is failing) after a `once` run against tests/fixture_server.py on 127.0.0.1 with one
# failing feed; the configured category in the spool files' "feed" object.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3

cat >"$TMP/list.opml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>list</title></head><body>
  <outline text="Tech">
    <outline text="Linux">
      <outline text="LWN" title="LWN.net" type="rss" xmlUrl="https://lwn.net/headlines/rss" htmlUrl="https://lwn.net/"/>
    </outline>
    <outline text="Новости" type="rss" xmlUrl="https://ru.example/rss"/>
  </outline>
  <outline text="Science" category="/Science/Space" type="rss" xmlUrl="https://space.example/rss"/>
  <outline text="Again" type="rss" xmlUrl="https://lwn.net/headlines/rss"/>
</body></opml>
EOF

# --- opml import - ---------------------------------------------------------------------------------
"$FEEDSPOOL" opml import - <"$TMP/list.opml" >"$TMP/stdin.conf" 2>"$TMP/stdin.err"
expect_eq "opml import - succeeds ($(cat "$TMP/stdin.err"))" "$?" 0
"$FEEDSPOOL" opml import "$TMP/list.opml" >"$TMP/file.conf" 2>"$TMP/file.err"
check "opml import - reads the standard input: the same sections as from the file" \
	cmp -s "$TMP/stdin.conf" "$TMP/file.conf"
check "the sections name the feed, keep its title, category and htmlUrl ($(head -6 "$TMP/stdin.conf" | tr '\n' '|'))" \
	grep -q "^link = https://lwn.net/$" "$TMP/stdin.conf"
expect_eq "the folders are the category" "$(sed -n '/^\[feed lwn\]/,/^$/s/^category = //p' "$TMP/stdin.conf")" "Tech/Linux"
expect_eq "the title is kept" "$(sed -n '/^\[feed lwn\]/,/^$/s/^title = //p' "$TMP/stdin.conf")" "LWN.net"
expect_eq "a category attribute is the category" \
	"$(sed -n '/^\[feed science\]/,/^$/s/^category = //p' "$TMP/stdin.conf")" "Science/Space"
check "a Cyrillic title is named feed-HASH, not after the host ($(grep '^\[feed' "$TMP/stdin.conf" | tr '\n' ' '))" \
	grep -Eq '^\[feed feed-[0-9a-f]{8}\]$' "$TMP/stdin.conf"
check "the repeated URL is left out" sh -c "! grep -q '^\[feed again\]' '$TMP/stdin.conf'"
check "and reported naming both feeds ($(cat "$TMP/stdin.err"))" \
	grep -q '^-:10: warning: outline "Again" (feed again): the same xmlUrl as feed lwn (line 5); left out$' "$TMP/stdin.err"
printf 'not xml' | "$FEEDSPOOL" opml import - >"$TMP/bad.out" 2>"$TMP/bad.err"
expect_eq "a bad list on stdin fails" "$?" 1
check "naming the line ($(cat "$TMP/bad.err"))" grep -q '^feedspool: -:1: not well-formed XML' "$TMP/bad.err"

# --- round trip -------------------------------------------------------------------------------------
{ printf '[feedspool]\nstate = state.db\nspool = spool\n\n'; cat "$TMP/stdin.conf"; } >"$TMP/rt.conf"
"$FEEDSPOOL" opml export -c "$TMP/rt.conf" >"$TMP/rt.opml"
expect_eq "opml export succeeds" "$?" 0
check "the export keeps the htmlUrl" grep -q 'htmlUrl="https://lwn.net/"' "$TMP/rt.opml"
"$FEEDSPOOL" opml import - <"$TMP/rt.opml" >"$TMP/rt2.conf" 2>"$TMP/rt2.err"
expect_eq "the export imports ($(cat "$TMP/rt2.err"))" "$?" 0
check "import -> export -> import gives the same feeds ($(diff "$TMP/stdin.conf" "$TMP/rt2.conf" | head -5 | tr '\n' '|'))" \
	cmp -s "$TMP/stdin.conf" "$TMP/rt2.conf"

# --- feeds --json and its exit status -----------------------------------------------------------
start_fixture_server "$FIXTURES/seed-feeds"
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
HOSTPORT=${BASE#http://}
cat >"$TMP/good.opml" <<EOF
<opml version="2.0"><body><outline text="Outlets"><outline text="Outlet A" xmlUrl="$BASE/feed/outlet-a.rss"/></outline></body></opml>
EOF
conf() {
	{
		printf '[feedspool]\nstate = state.db\nspool = spool\nallow_private = 127.0.0.1\n'
		printf 'timeout = 5s\nconnect_timeout = 2s\nopml = good.opml\n'
		cat
	} >"$TMP/$1"
}
conf ok.conf </dev/null
conf failing.conf <<EOF
[feed missing]
url = http://someone:secret@$HOSTPORT/status/404
[feed later]
url = $BASE/feed/outlet-b.atom
EOF
"$FEEDSPOOL" once -c "$TMP/ok.conf" 2>"$TMP/once1.err"
expect_eq "once over the good feed ($(cat "$TMP/once1.err"))" "$?" 0
# the failing configuration: the good feed known, "missing" fails, "later" is never fetched
sed '/^\[feed later\]/,$d' "$TMP/failing.conf" >"$TMP/run.conf"
"$FEEDSPOOL" once -c "$TMP/run.conf" 2>"$TMP/once2.err"
expect_eq "once with a failing feed exits 1" "$?" 1

"$FEEDSPOOL" feeds -c "$TMP/ok.conf" >"$TMP/ok.out"
expect_eq "feeds exits 0 when no configured feed is failing" "$?" 0
check "the table shows the last success ($(cat "$TMP/ok.out" | tr '\n' '|'))" \
	grep -Eq '^  success   [0-9]{4}-[0-9]{2}-[0-9]{2}T' "$TMP/ok.out"
"$FEEDSPOOL" feeds -c "$TMP/failing.conf" >"$TMP/failing.out"
expect_eq "feeds exits 1 when a feed is failing" "$?" 1
check "the failing feed's last success is never ($(cat "$TMP/failing.out" | tr '\n' '|'))" \
	sh -c "sed -n '/^missing$/,/^$/p' '$TMP/failing.out' | grep -q '^  success   never$'"
check "no password in the table" sh -c "! grep -q secret '$TMP/failing.out'"
"$FEEDSPOOL" feeds --json -c "$TMP/failing.conf" >"$TMP/feeds.json"
expect_eq "feeds --json exits 1 too" "$?" 1
check "feeds --json is one JSON document" jq -e . "$TMP/feeds.json"
j() { jq -r "$1" "$TMP/feeds.json"; }
# an OPML list's feeds come after the [feed] sections
expect_eq "every configured feed, in order" "$(j '[.feeds[].name] | join(" ")')" "missing later outlet-a"
expect_eq "every field" "$(j '.feeds[2] | keys_unsorted | join(" ")')" \
	"name url title category link last_fetch last_result last_success failures articles_seen next_due reason retired failing lease"
expect_eq "the good feed: its category, a success, not failing" \
	"$(j '.feeds[2] | [.category, (.last_success | test("^[0-9]{4}-")), .failures, .failing, .articles_seen > 0] | join(" ")')" \
	"Outlets true 0 false true"
expect_eq "the failing feed: the result, no success, one failure, failing, a backoff" \
	"$(j '.feeds[0] | [(.last_result | test("404")), .last_success, .failures, .failing, (.reason | test("backoff"))] | map(tostring) | join(" ")')" \
	"true null 1 true true"
expect_eq "the userinfo is stripped from the url" "$(j '.feeds[0].url')" "$BASE/status/404"
expect_eq "a feed never fetched" "$(j '.feeds[1] | [.last_fetch, .next_due, .reason, .failing] | map(tostring) | join(" ")')" \
	"null null new feed false"
"$FEEDSPOOL" feeds --json -c "$TMP/ok.conf" >/dev/null
expect_eq "feeds --json exits 0 when nothing is failing" "$?" 0
"$FEEDSPOOL" feeds --bogus -c "$TMP/ok.conf" >/dev/null 2>&1
expect_eq "an unknown option is a usage error" "$?" 2

# --- the category in the spool's feed object ---------------------------------------------------
n=0
for f in "$TMP"/spool/new/*.json; do
	n=$((n + 1))
	expect_eq "$(basename "$f"): feed.category is the OPML folder" "$(jq -r .feed.category "$f")" Outlets
done
check "the good feed wrote articles ($n)" test "$n" -gt 0
finish

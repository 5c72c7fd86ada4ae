#!/bin/sh
# SPDX-License-Identifier: MIT
# Catch-up: `once --catchup` and `catchup = yes` make a feed's first successful fetch record its
# items as seen without writing them (a first run on 60 imported feeds puts nothing old in
# new/); what the feed lists later is written as usual; feeds without catch-up are not touched.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
SEEDS=$FIXTURES/seed-feeds
mkdir -p "$TMP/feeds"
cp "$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" "$SEEDS/outlet-c.rdf" "$TMP/feeds/"

# conf DIR EXTRA: the three seed feeds as file: feeds; EXTRA goes into [feed outlet-b]
conf() {
	mkdir -p "$1"
	cat >"$1/feedspool.conf" <<EOF2
[feedspool]
state = state.db
spool = spool
allow_file_urls = yes
[feed outlet-a]
url = file://$TMP/feeds/outlet-a.rss
[feed outlet-b]
url = file://$TMP/feeds/outlet-b.atom
$2
[feed outlet-c]
url = file://$TMP/feeds/outlet-c.rdf
EOF2
}
written() { ls "$1/spool/new" 2>/dev/null | grep -c '\.json$'; }
# add_item FILE GUID TITLE: a new item at the top of an RSS feed
add_item() {
	sed -i "0,/<item>/s||<item><title>$3</title><link>http://example.org/$2</link><guid>$2</guid><description>A story that came after the first fetch: $3.</description></item>\n<item>|" "$1"
}

# --- once --catchup --------------------------------------------------------------------------
conf "$TMP/a"
"$FEEDSPOOL" once --catchup -c "$TMP/a/feedspool.conf" 2>"$TMP/a.log"
expect_eq "once --catchup exits 0 ($(cat "$TMP/a.log"))" "$?" 0
expect_eq "once --catchup writes nothing" "$(written "$TMP/a")" 0
check "the summary counts what was caught up" grep -q 'caught up' "$TMP/a.log"
check "each feed's line says so" grep -q 'feed outlet-a: ok: 0 new, .* caught up (recorded, not written)' "$TMP/a.log"
add_item "$TMP/feeds/outlet-a.rss" later-1 "A later story"
"$FEEDSPOOL" once -c "$TMP/a/feedspool.conf" 2>"$TMP/a2.log"
expect_eq "the next once exits 0" "$?" 0
expect_eq "the next once writes only the item that came later" \
	"$(cat "$TMP/a/spool/new/"*.json | jq -r .guid)" later-1
"$FEEDSPOOL" once --catchup -c "$TMP/a/feedspool.conf" 2>"$TMP/a3.log"
add_item "$TMP/feeds/outlet-a.rss" later-2 "Another later story"
"$FEEDSPOOL" once --catchup -c "$TMP/a/feedspool.conf" 2>"$TMP/a4.log"
expect_eq "--catchup never skips a feed that succeeded before" \
	"$(cat "$TMP/a/spool/new/"*.json | jq -r .guid | sort | tr '\n' ' ')" "later-1 later-2 "

# --- catchup = yes on one feed -----------------------------------------------------------------
cp "$SEEDS/outlet-a.rss" "$TMP/feeds/outlet-a.rss"
conf "$TMP/b" "catchup = yes"
"$FEEDSPOOL" once -c "$TMP/b/feedspool.conf" 2>"$TMP/b.log"
expect_eq "catchup = yes: once exits 0 ($(cat "$TMP/b.log"))" "$?" 0
expect_eq "catchup = yes: nothing of outlet-b written" \
	"$(cat "$TMP/b/spool/new/"*.json | jq -r 'select(.feed.name == "outlet-b") | .id' | wc -l | tr -d ' ')" 0
check "catchup = yes: the other feeds are written as usual" \
	test "$(cat "$TMP/b/spool/new/"*.json | jq -r 'select(.feed.name == "outlet-a") | .id' | wc -l)" -gt 0
check "check prints the key" sh -c "'$FEEDSPOOL' check -c '$TMP/b/feedspool.conf' | grep -q 'feed outlet-b .*catchup=yes'"

"$FEEDSPOOL" run --catchup -c "$TMP/b/feedspool.conf" 2>/dev/null
expect_eq "run --catchup is a usage error" "$?" 2
finish

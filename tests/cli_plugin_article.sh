#!/bin/sh
# SPDX-License-Identifier: MIT
# One article shape for every kind of plugin, through the real host (`feedspool filter`): an
# exec co-process reads exactly the spool schema that `feedspool parse` prints (so parse output
# piped into it tests it), later filters (C, Lua, exec) read the topics and tags earlier ones
# added, C and Lua see the article's HTML (content_html, links' text, images) as the JSON has
# it, and [filter] feeds/categories scope a filter to its feeds.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
: "${TEST_PLUGIN_DIR:?TEST_PLUGIN_DIR must name the built test plugins}"
SEEDS=$FIXTURES/seed-feeds
SHAPE=$FIXTURES/exec/shape.py
FEEDS="$SEEDS/outlet-a.rss $SEEDS/outlet-b.atom $SEEDS/outlet-c.rdf"
FEED=$SEEDS/outlet-b.atom

# 1. parse | co-process: the co-process works on `feedspool parse` output as it is
"$FEEDSPOOL" parse $FEEDS >"$TMP/parsed" || fail "feedspool parse $FEEDS"
n=$(wc -l <"$TMP/parsed" | tr -d ' ')
check "the seed feeds have articles ($n)" test "$n" -gt 5
python3 "$SHAPE" <"$TMP/parsed" >"$TMP/piped"
expect_eq "parse output piped into the co-process: one answer per article" \
	"$(jq -r .verdict "$TMP/piped" | sort | uniq -c | tr -s ' ')" " $n keep"

# ... and the co-process run by the exec plugin reads the very same lines
cat >"$TMP/exec.conf" <<EOF
[filter shape]
plugin = exec
command = python3 $SHAPE --record $TMP/recorded
EOF
"$FEEDSPOOL" filter -c "$TMP/exec.conf" --all $FEEDS >"$TMP/out" 2>"$TMP/err"
expect_eq "filter with the exec plugin exits 0" "$?" 0
expect_eq "the exec co-process read what parse prints (fetched aside: the clock moved)" \
	"$(jq -c 'del(.fetched)' "$TMP/recorded")" "$(jq -c 'del(.fetched)' "$TMP/parsed")"
expect_eq "schema, id, feed object, ISO dates, links and enclosures in it" \
	"$(jq -r '[.schema, (.id | length), (.feed | type), (.fetched | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")), (.links | type), (.enclosures | type)] | @tsv' "$TMP/recorded" | sort -u)" \
	"1	16	object	true	array	array"
expect_eq "the feed object names each document" \
	"$(jq -r .feed.name "$TMP/recorded" | sort -u | tr '\n' ' ')" "outlet-a.rss outlet-b.atom outlet-c.rdf "
expect_eq "the recorded lines are the spool schema's keys, in its order" \
	"$(jq -c 'keys_unsorted' "$TMP/recorded" | sort -u)" \
	'["schema","id","feed","url","guid","title","standfirst","authors","published","updated","fetched","language","categories","summary","body","content_html","links","images","enclosures","topics","tags"]'
expect_eq "the verdicts are those of parse | co-process" \
	"$(jq -r .verdict "$TMP/out" | sort | uniq -c | tr -s ' ')" " $n keep"

# 2. later filters read what earlier ones added: C (topic), then Lua (reads the topic, tags),
# then exec (reads the topic and the Lua tag from the JSON)
cat >"$TMP/chain.conf" <<EOF
[filter c-topic]
plugin = $TEST_PLUGIN_DIR/testplug.so
match = Spark
topic = dgx-spark

[filter lua-relay]
plugin = lua
script = $FIXTURES/lua/relay.lua

[filter exec-gate]
plugin = exec
command = python3 $SHAPE --require-tag lua-saw-dgx-spark
EOF
"$FEEDSPOOL" filter -c "$TMP/chain.conf" --all $FEEDS >"$TMP/chain" 2>"$TMP/err"
expect_eq "the chain exits 0" "$?" 0
spark=$(jq -r 'select(.title | contains("Spark")) | .id' "$TMP/parsed" | sort)
check "some titles say Spark, some do not" test -n "$spark" -a "$(echo "$spark" | wc -l)" -lt "$n"
expect_eq "kept: the articles the C filter marked, which Lua and exec saw marked" \
	"$(jq -r 'select(.verdict == "keep") | .id' "$TMP/chain" | sort)" "$spark"
expect_eq "each kept one tagged by Lua, then by exec with what it saw" \
	"$(jq -c 'select(.verdict == "keep") | .tags' "$TMP/chain" | sort -u)" \
	'["lua-saw-dgx-spark","exec-saw:dgx-spark,lua-saw-dgx-spark"]'
expect_eq "the others dropped by exec, after Lua tagged them lua-saw-nothing" \
	"$(jq -c 'select(.verdict == "drop") | [.dropped_by, .tags]' "$TMP/chain" | sort -u)" \
	'["exec-gate",["lua-saw-nothing"]]'

# 3. the article's HTML: C and Lua see the content_html, the links' text and the images that the
# spool's JSON (parse) has, article by article
cat >"$TMP/html.conf" <<EOF
[filter c-html]
plugin = $TEST_PLUGIN_DIR/testplug.so
html = $TMP/c-html

[filter lua-html]
plugin = lua
script = $FIXTURES/lua/html.lua
EOF
"$FEEDSPOOL" filter -c "$TMP/html.conf" --all $FEEDS >"$TMP/html" 2>"$TMP/err"
expect_eq "the HTML chain exits 0" "$?" 0
check "the seed feeds have images and inline links with text" \
	test "$(jq -s '[.[].images[]] | length' "$TMP/parsed")" -gt 0 -a \
	"$(jq -s '[.[].links[] | select(.text)] | length' "$TMP/parsed")" -gt 0
expect_eq "the C view: content_html, each link's text, the images, as in the JSON" \
	"$(cat "$TMP/c-html")" \
	"$(jq -r '"html=\(.content_html // "(null)")",
		(.links[] | "link \(.url) \(.rel // "-") text=\(.text // "-")"),
		(.images[] | "image \(.src) alt=\(.alt)")' "$TMP/parsed")"
# html.lua shows content_html as "BYTES:FNV-1a-32" (a tag is at most 256 bytes)
expect_eq "the Lua table: content_html, each link's text, the images, as in the JSON" \
	"$(jq -c .tags "$TMP/html")" \
	"$(python3 -c '
import json, sys
def digest(s):
    if s is None:
        return "nil"
    b, h = s.encode(), 0x811C9DC5
    for c in b:
        h = ((h ^ c) * 0x01000193) & 0xFFFFFFFF
    return "%d:%08x" % (len(b), h)
def nil(v):
    return "nil" if v is None else v
for line in sys.stdin:
    a = json.loads(line)
    print(json.dumps(["html=" + digest(a["content_html"]),
        "links=" + ",".join("%s %s %s" % (l["url"], nil(l["rel"]), nil(l["text"])) for l in a["links"]),
        "images=" + ",".join("%s %s" % (i["src"], nil(i["alt"])) for i in a["images"])],
        ensure_ascii=False, separators=(",", ":")))
' <"$TMP/parsed")"

# 4. scope: a filter judges only the feeds its feeds/categories name
cat >"$TMP/scope.conf" <<EOF
[feed alpha]
url = https://example.org/alpha

[feed beta]
url = https://example.org/beta
category = News

[feed gamma]
url = https://example.org/gamma

[filter drop-alpha]
plugin = $TEST_PLUGIN_DIR/testplug.so
verdict = drop
feeds = alpha

[filter drop-news]
plugin = $TEST_PLUGIN_DIR/testplug.so
verdict = drop
categories = News

[filter tag-all]
plugin = $TEST_PLUGIN_DIR/testplug.so
tag = judged

[filter record-gamma]
plugin = exec
command = python3 $SHAPE --record $TMP/recorded-gamma
feeds = gamma
EOF
for f in alpha beta gamma; do
	"$FEEDSPOOL" filter -c "$TMP/scope.conf" --all --feed $f "$FEED" >"$TMP/scope-$f" \
		2>"$TMP/err-$f" || fail "filter --feed $f: $(cat "$TMP/err-$f")"
done
expect_eq "alpha: dropped by the filter scoped to it" \
	"$(jq -r '[.verdict, .dropped_by] | @tsv' "$TMP/scope-alpha" | sort -u)" "drop	drop-alpha"
expect_eq "beta: dropped by the filter scoped to its category" \
	"$(jq -r '[.verdict, .dropped_by] | @tsv' "$TMP/scope-beta" | sort -u)" "drop	drop-news"
expect_eq "gamma: judged only by the unscoped filter, kept" \
	"$(jq -r '[.verdict, (.tags | join(","))] | @tsv' "$TMP/scope-gamma" | sort -u)" \
	"keep	judged,exec-saw:judged"
expect_eq "gamma: every article" "$(wc -l <"$TMP/scope-gamma" | tr -d ' ')" \
	"$("$FEEDSPOOL" parse "$FEED" | wc -l | tr -d ' ')"
expect_eq "--feed names the feed in the article" \
	"$(jq -r .feed.name "$TMP/recorded-gamma" | sort -u)" gamma

# a scope naming no feed: refused, naming file and line; a pattern matching none: a warning
printf '[feed alpha]\nurl = https://example.org/alpha\n[filter f]\nplugin = %s\nfeeds = alpah\n' \
	"$TEST_PLUGIN_DIR/testplug.so" >"$TMP/typo.conf"
"$FEEDSPOOL" check -c "$TMP/typo.conf" >/dev/null 2>"$TMP/err"
expect_eq "check refuses a scope naming no feed" "$?" 1
check "the error names file, line and the name: $(cat "$TMP/err")" \
	grep -q "typo.conf:5: filter f: feeds: no feed named alpah" "$TMP/err"
printf '[feed alpha]\nurl = https://example.org/alpha\n[filter f]\nplugin = %s\nfeeds = alpha x-*\n' \
	"$TEST_PLUGIN_DIR/testplug.so" >"$TMP/warn.conf"
"$FEEDSPOOL" check -c "$TMP/warn.conf" >/dev/null 2>"$TMP/err"
expect_eq "a pattern matching no feed is no error" "$?" 0
check "but a warning with file and line: $(cat "$TMP/err")" \
	grep -q "warn.conf:5: filter f: feeds: pattern x-\* matches no configured feed" "$TMP/err"
finish

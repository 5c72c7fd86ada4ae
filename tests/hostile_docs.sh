#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile documents (issue 5): a 200 MB text node, a 200 MB CDATA section, a million items,
# 100,000-deep nesting, a document that never ends, parameter entities, invalid UTF-8, NUL
# bytes, mixed encodings, and HTML content with 100,000 nested tables, unclosed tags and a 10 MB
# attribute. Each through `feedspool parse` with a good feed after it (survival, the precise
# message, what is kept, peak memory), then the same documents as feeds of one `feedspool once`
# run beside the three seed feeds, which must land in full.
# Peak memory is asserted only outside sanitizer builds (shadow memory is not the program's).
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time (package time) is not installed" >&2; exit 77; }
GEN="python3 ${top_srcdir:-.}/tests/tools/gen_hostile.py"
GOOD=$FIXTURES/seed-feeds/outlet-b.atom
MEM_LIMIT=40960 # KiB: the parser's own bound is the 2 MiB field cap and libxml2's 10 MB token cap

# parse NAME [OPTION...]: parses $TMP/NAME.xml (or stdin when NAME.xml is absent) and the good
# feed in one process: $TMP/NAME.out (articles), .err, .rc and .kb (peak RSS in KiB).
parse() {
	name=$1
	shift
	src=$TMP/$name.xml
	[ -f "$src" ] || src=-
	/usr/bin/time -f '%M' -o "$TMP/$name.kb" "$FEEDSPOOL" parse -v "$@" "$src" "$GOOD" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}

# survived NAME RC MESSAGE-REGEX: exit status, the message ("": none at all), the good feed
# served in full after it
survived() {
	expect_eq "$1: exit status ($(head -c 300 "$TMP/$1.err"))" "$(cat "$TMP/$1.rc")" "$2"
	if [ -z "$3" ]; then
		expect_eq "$1: no message, not even a warning" "$(cat "$TMP/$1.err")" ""
	else
		check "$1: the message says what happened ('$3' in: $(head -c 300 "$TMP/$1.err"))" \
			grep -Eq "$3" "$TMP/$1.err"
	fi
	expect_eq "$1: the good feed after it is served in full" \
		"$(jq -r 'select(.feed.name == "outlet-b.atom") | .id' "$TMP/$1.out" | wc -l | tr -d ' ')" 4
}

# titles NAME: the hostile document's article titles, one per line
titles() {
	jq -r 'select(.feed.name != "outlet-b.atom") | .title // "-"' "$TMP/$1.out"
}

# bounded NAME: peak memory under MEM_LIMIT (not in sanitizer builds)
bounded() {
	kb=$(tail -1 "$TMP/$1.kb")
	echo "$1: peak RSS $kb KiB" >&2
	sanitized && return
	checks=$((checks + 1))
	[ "$kb" -lt "$MEM_LIMIT" ] || fail "$1: peak memory $kb KiB is not under $MEM_LIMIT KiB"
}

# --- the large cases, generated into files (the daemon part reads them again) ---
$GEN text-node 200 >"$TMP/text-node.xml" || exit 99
parse text-node
survived text-node 0 "text-node.xml:[0-9]+: warning: item 2: <description> cut at its size limit"
expect_eq "text-node: the items before and after the huge one are kept" "$(titles text-node | tr '\n' ' ')" "before huge after "
expect_eq "text-node: the huge field is cut at the 2 MiB cap, not dropped" \
	"$(jq -r 'select(.guid == "huge") | .body | length > 1000000 and length <= 2097152' "$TMP/text-node.out")" true
bounded text-node

$GEN cdata 200 >"$TMP/cdata.xml" || exit 99
parse cdata
survived cdata 1 "cdata.xml:[0-9]+: one markup token \(a CDATA section.*longer than libxml2's 10 MB limit \(1 article before the error\)"
expect_eq "cdata: the item before it is kept" "$(titles cdata | tr '\n' ' ')" "before "
bounded cdata
rm -f "$TMP/text-node.xml" "$TMP/cdata.xml"

$GEN items 1000000 >"$TMP/items.xml" || exit 99
parse items
survived items 0 ""
expect_eq "items: all one million come out" "$(titles items | wc -l | tr -d ' ')" 1000000
expect_eq "items: the last is the millionth" "$(titles items | tail -1)" "Item 999999"
bounded items
rm -f "$TMP/items.xml" "$TMP/items.out"

$GEN nesting 100000 >"$TMP/nesting.xml" || exit 99
parse nesting
survived nesting 1 "nesting.xml:[0-9]+: elements nested too deeply \(1 article before the error\)"
bounded nesting

# a document that never ends: the size cap stops it (the daemon's body cap does the same)
$GEN endless 2>/dev/null | {
	/usr/bin/time -f '%M' -o "$TMP/endless.kb" "$FEEDSPOOL" parse --max-size 50000000 - "$GOOD" \
		>"$TMP/endless.out" 2>"$TMP/endless.err"
	echo $? >"$TMP/endless.rc"
}
survived endless 1 "\(stdin\): document larger than the limit of 50000000 bytes \([0-9]+ articles before the error\)"
check "endless: the articles before the cap are kept" \
	test "$(jq -r 'select(.feed.name == null) | .id' "$TMP/endless.out" | wc -l)" -gt 100000
bounded endless

# --- entities and encodings ---
$GEN parameter-entities >"$TMP/parameter-entities.xml"
parse parameter-entities
survived parameter-entities 1 "parameter-entities.xml:4: PEReferences forbidden in internal subset"
check "parameter-entities: /etc/passwd is never read" sh -c "! grep -q 'root:' '$TMP/parameter-entities.out'"
expect_eq "parameter-entities: the item before is kept" "$(titles parameter-entities | head -1)" before

$GEN bad-utf8 >"$TMP/bad-utf8.xml"
parse bad-utf8
# a document that is not UTF-8 as declared is read as a whole in the first encoding that
# decodes all of it, as feedparser's fallback chain (utf-8, windows-1252, iso-8859-2) reads it
survived bad-utf8 0 "bad-utf8.xml: warning: not valid UTF-8: the document was read as WINDOWS-1252"
expect_eq "bad-utf8: the whole document read as windows-1252" \
	"$(jq -r 'select(.guid == "bad") | .title == "caf\u00c3\u00a9 \u00ff\u00fe and \u00c3( and \u00ed\u00a0\u20ac end"' "$TMP/bad-utf8.out")" true

$GEN nul >"$TMP/nul.xml"
parse nul
survived nul 0 "nul.xml: warning: 3 control characters \(NUL and others XML forbids\) removed"
expect_eq "nul: the title keeps its text, without the controls" \
	"$(jq -r 'select(.guid == "nul") | .title' "$TMP/nul.out")" "nul and controls"
expect_eq "nul: the item after it is kept" "$(titles nul | tail -1)" after

$GEN mixed >"$TMP/mixed.xml"
parse mixed
# 0x9D (in the UTF-8 of ”) is unassigned in windows-1252: feedparser reads it as iso-8859-2,
# and repairs no double encoding in a document it did not read as UTF-8
survived mixed 0 "mixed.xml: warning: not valid UTF-8: the document was read as ISO-8859-2"
expect_eq "mixed: the whole document read as iso-8859-2, as feedparser reads it" \
	"$(jq -r 'select(.guid == "utf8" or .guid == "cp1252" or .guid == "double") | .title' "$TMP/mixed.out" | tr '\n' '|')" \
	"$(printf 'cafĂŠ â€œquotedâ€\302\235|café “quoted”|cafĂƒÂŠ|')"

# --- hostile HTML inside items ---
$GEN html-tables >"$TMP/html-tables.xml"
parse html-tables
survived html-tables 0 ""
expect_eq "html-tables: the cell at the bottom of 100,000 tables is the body" \
	"$(jq -r 'select(.guid == "tables") | .body' "$TMP/html-tables.out")" "deep cell"
bounded html-tables

$GEN html-unclosed >"$TMP/html-unclosed.xml"
parse html-unclosed
survived html-unclosed 0 ""
expect_eq "html-unclosed: text kept in blocks, the unclosed script dropped" \
	"$(jq -r 'select(.guid == "unclosed") | .body' "$TMP/html-unclosed.out" | tr '\n' '|')" "first bold both|one|two link|"

$GEN html-attribute 10 >"$TMP/html-attribute.xml"
parse html-attribute
survived html-attribute 0 "html-attribute.xml:[0-9]+: warning: item 2: <description> cut at its size limit"
expect_eq "html-attribute: the text before the 10 MB attribute is kept" \
	"$(jq -r 'select(.guid == "attr") | .body' "$TMP/html-attribute.out")" "before the image"
bounded html-attribute

# --- the daemon: every document above as a feed, beside the seed feeds ---
$GEN text-node 200 >"$TMP/text-node.xml" || exit 99
$GEN cdata 20 >"$TMP/cdata.xml" || exit 99
$GEN items 2000 >"$TMP/items.xml" || exit 99
{
	echo "[feedspool]"
	echo "state = $TMP/state.db"
	echo "spool = $TMP/spool"
	echo "format = json"
	echo "allow_file_urls = yes"
	echo "max_bytes = 256M"
	for f in outlet-a.rss outlet-b.atom outlet-c.rdf; do
		printf '[feed %s]\nurl = file://%s\n' "$(echo "$f" | tr . -)" "$FIXTURES/seed-feeds/$f"
	done
	for f in text-node cdata items nesting parameter-entities bad-utf8 nul mixed html-tables \
		html-unclosed html-attribute; do
		printf '[feed %s]\nurl = file://%s/%s.xml\n' "$f" "$TMP" "$f"
	done
} >"$TMP/feedspool.conf"
/usr/bin/time -f '%M' -o "$TMP/daemon.kb" "$FEEDSPOOL" once -c "$TMP/feedspool.conf" 2>"$TMP/once.err"
expect_eq "once: exit 1, some feeds failed" "$?" 1
for f in cdata nesting parameter-entities; do
	check "once: the log names feed $f and its error" grep -Eq "$f.*line [0-9]+: " "$TMP/once.err"
done
check "once: the cdata feed's error is the token limit" grep -q "cdata.*10 MB limit" "$TMP/once.err"
NEW=$TMP/spool/new
# seeds 9 (one syndicated copy is a near-duplicate of another seed article: 9 stories in 10 items);
# each hostile document holds "before" (and most "after"): ids differ by feed URL
ids() { jq -r "select(.feed.name == \"$1\") | .guid // .title" "$NEW"/*.json | sort | tr '\n' ' '; }
expect_eq "the seed feeds land in full" \
	"$(jq -r 'select(.feed.name | startswith("outlet")) | .id' "$NEW"/*.json | wc -l | tr -d ' ')" 9
expect_eq "text-node: three articles" "$(ids text-node)" "after before huge "
expect_eq "cdata: the article before the error" "$(ids cdata)" "before "
expect_eq "items: 2,000 articles" \
	"$(jq -r 'select(.feed.name == "items") | .id' "$NEW"/*.json | wc -l | tr -d ' ')" 2000
expect_eq "nul: three articles" "$(ids nul)" "after before nul "
expect_eq "html-tables: three articles" "$(ids html-tables)" "after before tables "
kb=$(tail -1 "$TMP/daemon.kb")
echo "once: peak RSS $kb KiB" >&2
if ! sanitized; then
	checks=$((checks + 1))
	[ "$kb" -lt 61440 ] || fail "once: peak memory $kb KiB is not under 60 MiB"
fi
"$FEEDSPOOL" feeds -c "$TMP/feedspool.conf" >"$TMP/feeds.out" 2>&1
for f in nesting cdata; do
	awk -v f="$f" '$0 == f {on = 1; next} /^$/ {on = 0} on' "$TMP/feeds.out" >"$TMP/feeds.$f"
	check "feeds: feed $f shows its parse error ($(cat "$TMP/feeds.$f"))" \
		grep -Eq "^ *last .*error: line [0-9]+: .*(nested too deeply|10 MB limit)" "$TMP/feeds.$f"
	check "feeds: feed $f shows one failure" grep -Eq "^ *failures +1$" "$TMP/feeds.$f"
done
finish

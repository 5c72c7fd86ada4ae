#!/bin/sh
# SPDX-License-Identifier: MIT
# `feedspool extract`: the main article of pages written for this test (tests/fixtures/extract),
# its options and exit codes, and hostile pages that must not crash it nor take long.
. "${top_srcdir:-.}/tests/lib.sh"
PAGES=$FIXTURES/extract

# every page's text rendering, line for line
for page in "$PAGES"/*.html; do
	name=$(basename "$page" .html)
	"$FEEDSPOOL" extract --url http://example.org/ "$page" >"$TMP/$name.out" 2>"$TMP/err"
	expect_eq "extract $name.html exits 0" "$?" 0
	if ! cmp -s "$TMP/$name.out" "$PAGES/$name.txt"; then
		fail "extract $name.html: expected $PAGES/$name.txt, got (diff expected got):
$(diff "$PAGES/$name.txt" "$TMP/$name.out")"
	fi
	checks=$((checks + 1))
done

# what the boilerplate around the story must not leave, said once more in plain words
out=$(cat "$TMP/news.out")
for junk in cookie "Share on" Advertisement "Ferry fares" "About time" "Most read" "All rights" \
	"Photo: Ana" "Transport correspondent"; do
	case $out in *"$junk"*) fail "news.html: '$junk' is not article text" ;; esac
	checks=$((checks + 1))
done
expect_eq "news.html: the title line comes from og:title, without the site name" \
	"$(head -1 "$TMP/news.out")" "Harbour bridge reopens after two-year repair"
expect_eq "news.html: five paragraphs after the title and the blank line" \
	"$(tail -n +3 "$TMP/news.out" | wc -l | tr -d ' ')" 5

# stdin, several pages (form feed between), --html
"$FEEDSPOOL" extract - <"$PAGES/split.html" >"$TMP/stdin.out"
expect_eq "stdin gives the same text" "$(cat "$TMP/stdin.out")" "$(cat "$PAGES/split.txt")"
"$FEEDSPOOL" extract "$PAGES/split.html" "$PAGES/itemprop.html" >"$TMP/two.out"
expect_eq "two pages, one form feed line between" "$(grep -c "$(printf '^\f$')" "$TMP/two.out")" 1
"$FEEDSPOOL" extract --html "$PAGES/itemprop.html" >"$TMP/html.out"
expect_eq "--html prints the chosen element" "$(grep -c 'itemprop="articleBody"' "$TMP/html.out")" 1

# exit codes
"$FEEDSPOOL" extract "$TMP/missing.html" >/dev/null 2>"$TMP/err"
expect_eq "a missing file exits 1" "$?" 1
expect_eq "the error names the file" "$(grep -c "missing.html" "$TMP/err")" 1
"$FEEDSPOOL" extract >/dev/null 2>&1
expect_eq "no file is a usage error" "$?" 2
"$FEEDSPOOL" extract --help | grep -q -- '--url'
expect_eq "--help describes --url" "$?" 0

# hostile pages: deep nesting, unclosed elements, binary junk, an empty file, a huge page
python3 - "$TMP" <<'PY'
import os, sys
d = sys.argv[1]
open(os.path.join(d, "deep.html"), "w").write("<div>" * 100000 + "x" + "</span>" * 100000)
open(os.path.join(d, "pb.html"), "w").write("<p><b>" * 20000)
open(os.path.join(d, "tables.html"), "w").write("<table><tr><td>" * 30000)
open(os.path.join(d, "junk.html"), "wb").write(bytes(range(256)) * 2000)
open(os.path.join(d, "empty.html"), "w").write("")
open(os.path.join(d, "huge.html"), "w").write("<html><body><p>" + "word, " * 1000000 + "</p>")
PY
printf '<html><head><meta charset="iso-2022-jp"></head><body><p>\033$B\377\377\000</p></body></html>' \
	>"$TMP/badenc.html"
"$FEEDSPOOL" extract "$TMP/badenc.html" >/dev/null 2>"$TMP/err"
expect_eq "a page that is not in its declared encoding: exit 0" "$?" 0
expect_eq "and libxml2's encoding errors do not reach stderr" "$(cat "$TMP/err")" ""
for page in deep pb tables junk empty huge; do
	timeout 20 "$FEEDSPOOL" extract "$TMP/$page.html" >/dev/null 2>"$TMP/err"
	expect_eq "hostile page $page.html: exits 0 within 20 s" "$?" 0
done
finish

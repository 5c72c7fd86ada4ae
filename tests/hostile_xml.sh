#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile documents through the command line: each ends quickly with a precise message naming
# the file and line, nothing secret leaks, and the next input is still served.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
GOOD=$FIXTURES/seed-feeds/outlet-b.atom

{
	echo '<?xml version="1.0"?>'
	echo '<!DOCTYPE rss ['
	echo '<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
	for l in b c d e f g h i j; do
		prev=$(printf '%s' "$l" | tr 'b-j' 'a-i')
		printf '<!ENTITY %s "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">\n' "$l" "$prev" "$prev" "$prev" "$prev" "$prev" "$prev" "$prev" "$prev" "$prev" "$prev"
	done
	echo ']>'
	echo '<rss><channel><item><title>before</title></item>'
	echo '<item><title>&j;</title></item></channel></rss>'
} >"$TMP/laughs.xml"

printf 'TOPSECRET-%s\n' "$$" >"$TMP/secret"
cat >"$TMP/xxe.xml" <<XXE
<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY x SYSTEM "file://$TMP/secret">]>
<rss><channel><item><title>t&x;</title></item></channel></rss>
XXE

cat >"$TMP/xxe-dtd.xml" <<XXE
<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "file://$TMP/secret">
<rss><channel><item><title>ok</title></item></channel></rss>
XXE

for f in laughs xxe xxe-dtd; do
	"$FEEDSPOOL" parse "$TMP/$f.xml" "$GOOD" >"$TMP/$f.out" 2>"$TMP/$f.err"
	rc=$?
	checks=$((checks + 1))
	grep -q "TOPSECRET" "$TMP/$f.out" && fail "$f: the secret file leaked into the output"
	expect_eq "$f: the good feed after it is served in full" \
		"$(jq -r 'select(.feed.name == "outlet-b.atom") | .id' "$TMP/$f.out" | wc -l | tr -d ' ')" 4
	eval "rc_$(echo "$f" | tr - _)=$rc"
done
expect_eq "billion laughs: exit 1" "$rc_laughs" 1
check "billion laughs: the message names file and line ($(cat "$TMP/laughs.err"))" \
	grep -Eq "laughs.xml:1[0-9]: .*(entity|Entity)" "$TMP/laughs.err"
expect_eq "billion laughs: the item before the attack is kept" \
	"$(jq -r 'select(.feed.name == "laughs.xml") | .title' "$TMP/laughs.out" | head -1)" "before"
expect_eq "xxe: exit 1" "$rc_xxe" 1
check "xxe: refused, with file and line ($(cat "$TMP/xxe.err"))" \
	grep -q "xxe.xml:3: external entity .* refused" "$TMP/xxe.err"
expect_eq "an external DTD is simply never read: exit 0" "$rc_xxe_dtd" 0
finish

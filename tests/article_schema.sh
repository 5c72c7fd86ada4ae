#!/bin/sh
# SPDX-License-Identifier: MIT
# The article JSON Schema (etc/feedspool-article.schema.json) against what feedspool writes: the
# demo's run (the seed feeds through the DGX Spark topic filter, so topics are filled), a
# revision (revisions = yes), and `feedspool parse` of every feed fixture; and the schema
# rejects what breaks the format (so the checks are not vacuous). Every other shell test
# validates the spool files it leaves through finish() in tests/lib.sh.
. "${top_srcdir:-.}/tests/lib.sh"
need python3
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: python3-jsonschema is not installed" >&2; exit 77; }
SCHEMA=${top_srcdir:-.}/etc/feedspool-article.schema.json
VALIDATE="python3 ${top_srcdir:-.}/tests/tools/validate_articles.py $SCHEMA"
RULES=${RULES_DIR:-${top_srcdir:-.}/etc/feedspool/topics}/dgx-spark.rules

check "the schema is a valid Draft 2020-12 schema" python3 -c '
import json, sys, jsonschema
jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' "$SCHEMA"

# --- the demo, then a revision ------------------------------------------------------------------
cp -r "$FIXTURES/seed-feeds" "$TMP/feeds"
cat >"$TMP/feedspool.conf" <<EOF
[feedspool]
state = state.db
spool = spool
allow_file_urls = yes
revisions = yes
${FEEDSPOOL_PLUGIN_DIR:+plugin_dir = $FEEDSPOOL_PLUGIN_DIR}
[feed outlet-a]
url = file://$TMP/feeds/outlet-a.rss
[feed outlet-b]
url = file://$TMP/feeds/outlet-b.atom
[feed outlet-c]
url = file://$TMP/feeds/outlet-c.rdf
[filter dgx-spark]
plugin = topic
rules = $RULES
EOF
"$FEEDSPOOL" once -c "$TMP/feedspool.conf" 2>"$TMP/once.err"
expect_eq "the demo run succeeds ($(tail -1 "$TMP/once.err"))" "$?" 0
mv "$TMP"/spool/new/* "$TMP/spool/cur/"
sed -i 's/hand-delivers DGX Spark/hand-delivered DGX Spark/' "$TMP/feeds/outlet-b.atom"
"$FEEDSPOOL" once -c "$TMP/feedspool.conf" 2>>"$TMP/once.err"
n=$(ls "$TMP/spool/cur" "$TMP/spool/new" | grep -c '\.json$')
check "the demo wrote articles ($n)" test "$n" -gt 0
check "one has topics" sh -c "grep -l '\"topics\":\[{' '$TMP'/spool/cur/*.json >/dev/null"
check "one is a revision" sh -c "grep -l '\"revision\":1' '$TMP'/spool/new/*.json >/dev/null"
$VALIDATE "$TMP"/spool/new/*.json "$TMP"/spool/cur/*.json >"$TMP/demo.out" 2>&1
expect_eq "every spool file of the demo matches the schema ($(head -3 "$TMP/demo.out"))" "$?" 0

# --- feedspool parse of every feed fixture --------------------------------------------------------
find "$FIXTURES" -type f \( -name '*.rss' -o -name '*.atom' -o -name '*.rdf' -o -name '*.xml' \) |
	sort >"$TMP/docs"
check "there are feed fixtures" test -s "$TMP/docs"
xargs "$FEEDSPOOL" parse <"$TMP/docs" 2>/dev/null >"$TMP/parsed.jsonl"
$VALIDATE - <"$TMP/parsed.jsonl" >"$TMP/parse.out" 2>&1
expect_eq "feedspool parse of $(wc -l <"$TMP/docs" | tr -d ' ') fixtures: every article matches ($(tail -1 "$TMP/parse.out"); $(head -3 "$TMP/parse.out"))" "$?" 0

# --- what the schema must reject ------------------------------------------------------------------
one=$(ls "$TMP"/spool/cur/*.json | head -1)
for edit in schema=2 no-id id=ABC tags=x published=yesterday topic-without-score feed-name=1; do
	python3 - "$one" "$edit" >"$TMP/bad.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
e = sys.argv[2]
if e == "schema=2": a["schema"] = 2
elif e == "no-id": del a["id"]
elif e == "id=ABC": a["id"] = "ABC"
elif e == "tags=x": a["tags"] = "x"
elif e == "published=yesterday": a["published"] = "yesterday"
elif e == "topic-without-score": a["topics"] = [{"name": "x", "matched": []}]
elif e == "feed-name=1": a["feed"]["name"] = 1
print(json.dumps(a))
PY
	$VALIDATE "$TMP/bad.json" >/dev/null 2>&1
	expect_eq "the schema rejects an article with $edit" "$?" 1
done
python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); a["added_later"] = {"x": 1}; print(json.dumps(a))' "$one" >"$TMP/additive.json"
$VALIDATE "$TMP/additive.json" >/dev/null 2>&1
expect_eq "and accepts one with a field added (the additive rule)" "$?" 0
finish

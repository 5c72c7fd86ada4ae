#!/bin/sh
# SPDX-License-Identifier: MIT
# `feedspool filter` from the outside: options, exit codes, configuration errors, and output in
# input order even when verdicts come late (the test plugin of tests/plugins/testplug.c).
. "${top_srcdir:-.}/tests/lib.sh"
need jq
: "${FEEDSPOOL_PLUGIN_DIR:?FEEDSPOOL_PLUGIN_DIR must name the built plugins}"
: "${TEST_PLUGIN_DIR:?TEST_PLUGIN_DIR must name the built test plugins}"
SEEDS=$FIXTURES/seed-feeds
RULES=${RULES_DIR:-$top_srcdir/etc/feedspool/topics}/dgx-spark.rules

"$FEEDSPOOL" filter --help >"$TMP/help"
expect_eq "--help exits 0" "$?" 0
check "--help describes --all" grep -q -- '--all' "$TMP/help"
"$FEEDSPOOL" filter -c /dev/null 2>/dev/null
expect_eq "no input is a usage error" "$?" 2
"$FEEDSPOOL" filter --frobnicate x 2>/dev/null
expect_eq "an unknown option is a usage error" "$?" 2
"$FEEDSPOOL" filter -c "$TMP/none.conf" "$SEEDS/outlet-a.rss" >/dev/null 2>"$TMP/err"
expect_eq "a missing configuration exits 1" "$?" 1
check "the message names the file" grep -q "none.conf" "$TMP/err"

# the DGX Spark rules through the command: the seven DGX Spark articles kept
cat >"$TMP/dgx.conf" <<EOF
[filter dgx]
plugin = topic
rules = $RULES
EOF
"$FEEDSPOOL" filter -c "$TMP/dgx.conf" "$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" \
	"$SEEDS/outlet-c.rdf" >"$TMP/kept" 2>"$TMP/err"
expect_eq "filter exits 0" "$?" 0
expect_eq "seven articles kept" "$(wc -l <"$TMP/kept" | tr -d ' ')" 7
expect_eq "each with the dgx-spark topic, a score and matched phrases" \
	"$(jq -r 'select(.verdict == "keep" and .topics[0].name == "dgx-spark" and .topics[0].score >= 10 and (.topics[0].matched | index("DGX Spark")) != null) | .id' "$TMP/kept" | wc -l | tr -d ' ')" 7
expect_eq "the output keys" "$(jq -c 'keys_unsorted' "$TMP/kept" | sort -u)" \
	'["id","title","url","verdict","dropped_by","reason","topics","tags"]'
"$FEEDSPOOL" filter -c "$TMP/dgx.conf" --all - <"$SEEDS/outlet-a.rss" >"$TMP/all"
expect_eq "stdin, --all: every article of outlet-a" \
	"$(wc -l <"$TMP/all" | tr -d ' ')" "$("$FEEDSPOOL" parse "$SEEDS/outlet-a.rss" | wc -l | tr -d ' ')"
expect_eq "a drop says which filter and why" \
	"$(jq -r 'select(.title | startswith("Apache")) | [.verdict, .dropped_by, (.reason | test("^dgx: dgx-spark .*vetoed by .Apache Spark."))] | @tsv' "$TMP/all")" \
	"drop	dgx	true"

# late verdicts: printed in input order all the same
cat >"$TMP/slow.conf" <<EOF
[filter slow]
plugin = $TEST_PLUGIN_DIR/testplug.so
verdict = pending
answer = drop
match = Apache

[filter tagger]
plugin = $TEST_PLUGIN_DIR/testplug.so
tag = seen
EOF
"$FEEDSPOOL" filter -c "$TMP/slow.conf" --all --stats "$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" \
	>"$TMP/slow" 2>"$TMP/stats"
expect_eq "deferred verdicts exit 0" "$?" 0
expect_eq "input order kept" "$(jq -r .id "$TMP/slow")" \
	"$("$FEEDSPOOL" parse "$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" | jq -r .id)"
expect_eq "the deferred drop" "$(jq -r 'select(.verdict == "drop") | [.title, .dropped_by] | @tsv' "$TMP/slow")" \
	"Apache Spark 4.0 turns on ANSI SQL mode by default	slow"
expect_eq "the second filter saw the others" \
	"$(jq -r 'select(.tags == ["seen"]) | .id' "$TMP/slow" | wc -l | tr -d ' ')" \
	"$(jq -r 'select(.verdict == "keep") | .id' "$TMP/slow" | wc -l | tr -d ' ')"
check "--stats counts the deferred answer" grep -q '^filter slow: .* 1 dropped, 0 errors, 1 deferred' "$TMP/stats"

# a refused plugin: a configuration error with the section's file:line, the file and the reason
printf '# a plugin of another ABI\n[filter old]\nplugin = %s/testplug_major.so\n' "$TEST_PLUGIN_DIR" >"$TMP/old.conf"
"$FEEDSPOOL" filter -c "$TMP/old.conf" "$SEEDS/outlet-a.rss" >"$TMP/out" 2>"$TMP/err"
expect_eq "a refused plugin exits 1" "$?" 1
check "the refusal names file:line, the plugin and the ABI" \
	grep -q "old.conf:2: filter old: $TEST_PLUGIN_DIR/testplug_major.so: refused: built for plugin ABI 2.0" "$TMP/err"
finish

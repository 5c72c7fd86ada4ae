#!/bin/sh
# SPDX-License-Identifier: MIT
# The bundled demo (etc/demo/feedspool.conf): the three seed feeds through the DGX Spark topic
# filter. The spool must hold exactly the five seed articles (expected/articles.json marks them
# topic_dgx_spark), each with its dgx-spark topic, a score and the phrases that matched; a
# second pass writes nothing.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
SRC=${top_srcdir:-.}
mkdir -p "$TMP/etc/demo" "$TMP/etc/feedspool/topics" "$TMP/tests/fixtures"
# the demo as shipped, in a scratch tree: same relative layout, its own demo/ folder
cp "$SRC/etc/demo/feedspool.conf" "$TMP/etc/demo/"
cp "$SRC/etc/feedspool/topics/dgx-spark.rules" "$TMP/etc/feedspool/topics/"
cp -r "$FIXTURES/seed-feeds" "$TMP/tests/fixtures/"
"$FEEDSPOOL" check -c "$TMP/etc/demo/feedspool.conf" >/dev/null 2>"$TMP/check.err"
expect_eq "the demo configuration is valid ($(cat "$TMP/check.err"))" "$?" 0
"$FEEDSPOOL" once -c "$TMP/etc/demo/feedspool.conf" 2>"$TMP/once.err"
expect_eq "the demo runs ($(cat "$TMP/once.err"))" "$?" 0
NEW=$TMP/demo/spool/new
expect_eq "five articles land" "$(ls "$NEW" | grep -c '\.json$')" 5
jq -r 'select(.topics | length > 0) | .title' "$NEW"/*.json | sort >"$TMP/got"
jq -r '.articles[] | select(.topic_dgx_spark) | .title' "$FIXTURES/seed-feeds/expected/articles.json" | sort >"$TMP/want"
expect_eq "they are the five seed articles, each with a topic" "$(diff "$TMP/want" "$TMP/got" && echo same)" same
expect_eq "each carries the dgx-spark topic with a score and matched phrases" \
	"$(jq -r 'select(.topics[0].name == "dgx-spark" and .topics[0].score > 0 and (.topics[0].matched | length) > 0) | .id' "$NEW"/*.json | wc -l | tr -d ' ')" 5
"$FEEDSPOOL" once -c "$TMP/etc/demo/feedspool.conf" 2>/dev/null
expect_eq "a second pass writes nothing" "$(ls "$NEW" | grep -c '\.json$')" 5
finish

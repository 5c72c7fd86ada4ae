#!/bin/sh
# SPDX-License-Identifier: MIT
# `fulltext = auto` against the fixture server: a teaser's linked page is fetched once, its main
# text (not its navigation, cookie banner, related list or footer) becomes the article's body
# and content_html, and the topic filter judges that text (the teaser alone would be dropped);
# an item whose body is whole is not fetched; a page that fails (404) or sits on an address
# the feed may not reach keeps the feed's own text and is logged; `fulltext = no` fetches
# nothing; a second pass fetches no page again.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
: "${FEEDSPOOL_PLUGIN_DIR:?FEEDSPOOL_PLUGIN_DIR must name the built plugins}"
: "${RULES_DIR:?RULES_DIR must name the topic rules}"

mkdir -p "$TMP/www"
cp "$FIXTURES/fulltext/spark-review.html" "$TMP/www/"
start_fixture_server "$TMP/www"
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
# 127.0.0.2 reaches the same server (all of 127/8 is loopback) but is not allowed below
OTHER=http://127.0.0.2:$PORT
sed -e "s|BASE|$BASE|g" -e "s|OTHER|$OTHER|g" "$FIXTURES/fulltext/teasers.rss" >"$TMP/www/teasers.rss"
requests() { curl -s "$BASE/stats" | jq ".requests[\"$1\"] // 0"; }

# conf DIR MODE: one feed of teasers with fulltext = MODE, and the DGX Spark topic filter
conf() {
	mkdir -p "$1"
	cat >"$1/feedspool.conf" <<EOF2
[feedspool]
state = state.db
spool = spool
allow_private = 127.0.0.1:$PORT
plugin_dir = $FEEDSPOOL_PLUGIN_DIR
[feed teasers]
url = $BASE/feed/teasers.rss
fulltext = $2
[filter dgx-spark]
plugin = topic
rules = $RULES_DIR/dgx-spark.rules
on_error = keep
EOF2
}

# --- fulltext = no: the teaser is judged as it is, and no page is fetched ------------------------
conf "$TMP/no" no
"$FEEDSPOOL" once -c "$TMP/no/feedspool.conf" 2>"$TMP/no.log"
expect_eq "fulltext = no: once exits 0 ($(cat "$TMP/no.log"))" "$?" 0
expect_eq "fulltext = no: no page fetched" "$(requests /feed/spark-review.html)" 0
expect_eq "fulltext = no: the teaser alone is not DGX Spark coverage (dropped)" \
	"$(cat "$TMP/no/spool/new/"*.json 2>/dev/null | jq -r 'select(.guid == "teaser-1") | .guid')" ""

# --- fulltext = auto ---------------------------------------------------------------------------
curl -s "$BASE/reset-stats" >/dev/null
conf "$TMP/auto" auto
"$FEEDSPOOL" once -c "$TMP/auto/feedspool.conf" 2>"$TMP/auto.log"
expect_eq "fulltext = auto: once exits 0 ($(cat "$TMP/auto.log"))" "$?" 0
expect_eq "the teaser's page is fetched once" "$(requests /feed/spark-review.html)" 1
expect_eq "a whole item's page is not fetched" "$(requests /feed/complete.html)" 0
A=$(cat "$TMP/auto/spool/new/"*.json | jq -c 'select(.guid == "teaser-1")')
check "the teaser is kept by the topic filter, which judged the page's text" test -n "$A"
body=$(printf '%s' "$A" | jq -r .body)
check "the body is the page's article ($body)" sh -c "printf '%s' \"\$1\" | grep -q '128 GB of unified memory'" - "$body"
expect_eq "the body has the article's five paragraphs" "$(printf '%s\n' "$body" | grep -c .)" 5
for junk in 'Deals' 'cookies' 'Related articles' 'Copyright' 'Share on social'; do
	expect_eq "no '$junk' in the body" "$(printf '%s' "$body" | grep -c "$junk")" 0
done
expect_eq "content_html is the page's article, sanitized" \
	"$(printf '%s' "$A" | jq -r '.content_html | test("<p>Nvidia.s DGX Spark") and (test("<script|cookie|Deals|Related") | not)')" true
expect_eq "the topic filter's annotation is there" "$(printf '%s' "$A" | jq -r '.topics[0].name')" dgx-spark
grep -q 'feed teasers: full text of '"$BASE"'/status/404: HTTP 404; the feed.s text is kept' "$TMP/auto.log"
expect_eq "a page that fails is logged and the feed's text kept" "$?" 0
check "an address the feed may not reach is refused, the feed's text kept" \
	grep -q "full text of $OTHER/feed/spark-review.html: connection to 127.0.0.2:$PORT refused" "$TMP/auto.log"

# --- a second pass: nothing new, no page fetched again -----------------------------------------
"$FEEDSPOOL" once -c "$TMP/auto/feedspool.conf" 2>"$TMP/auto2.log"
expect_eq "second pass exits 0" "$?" 0
expect_eq "a page is fetched at most once per article" "$(requests /feed/spark-review.html)" 1
finish

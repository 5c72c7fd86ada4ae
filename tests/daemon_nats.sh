#!/bin/bash
# SPDX-License-Identifier: MIT
# The NATS JetStream sink (sink = nats, sink = spool nats) against a real nats-server -js on
# 127.0.0.1 that this test starts (tests/lib_engines.sh), read back with tests/nats_consume:
# (a) `once` with sink = nats: every article of the fixture feeds is in the stream exactly
#     once, its Nats-Msg-Id its id, its data a spool JSON document (the article schema), and
#     nothing is left in the spool; a changed item of a feed with revisions goes in as ID-r1;
# (c) `run` while the server is down: intake stops, logged once naming the server, and resumes
#     when the server comes up, nothing lost;
# (d) sink = spool nats: each article once in new/ and once in the stream, byte for byte equal.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
need jq
need python3
CONSUME=${top_builddir:-.}/tests/nats_consume
[ -x "$CONSUME" ] || { echo "tests/nats_consume is not built" >&2; exit 99; }
FEEDS=6

# conf DIR STREAM SINK [EXTRA]: a configuration in DIR for the fixture feeds
conf() {
	mkdir -p "$1"
	{
		nats_conf_preamble "$3" "$2" "test.$2"
		echo "format = json+text"
		printf '%s\n' "${4:-}"
		for f in $(seq 1 $FEEDS); do
			printf '[feed f%s]\nurl = http://127.0.0.1:%s/feed/f%s.xml\nrevisions = yes\n' "$f" "$PORT" "$f"
		done
	} >"$1/feedspool.conf"
}

# expected: the ids of every item the feeds list now, sorted
expected() {
	for f in $(seq 1 $FEEDS); do
		"$FEEDSPOOL" parse --url "http://127.0.0.1:$PORT/feed/f$f.xml" "$TMP/feeds/f$f.xml" | jq -r .id
	done | sort
}

# consume STREAM OUT: reads the stream into OUT/ (SEQ.json) and OUT.ids ("SEQ MSGID")
consume() {
	rm -rf "$2" && mkdir -p "$2"
	"$CONSUME" "$NATS_URL" "$1" "$2" >"$2.ids"
}

# stream_has STREAM N: the stream holds N distinct message ids
stream_has() {
	consume "$1" "$TMP/probe" 2>/dev/null && [ "$(cut -d' ' -f2 "$TMP/probe.ids" | sort -u | wc -l)" -eq "$2" ]
}

logged() {
	grep -q "$2" "$1" 2>/dev/null
}

mkdir -p "$TMP/feeds"
grow_feeds "$TMP/feeds" $FEEDS 10
start_fixture_server "$TMP/feeds"
start_nats
trap 'kill $server 2>/dev/null; [ -n "${daemon:-}" ] && kill -9 $daemon 2>/dev/null; stop_engines; rm -rf "$TMP"' EXIT
expected >"$TMP/expected"
n_expected=$(wc -l <"$TMP/expected" | tr -d ' ')

# ---- (a) once, sink = nats ----------------------------------------------------------------------
A=$TMP/a
conf "$A" A nats
"$FEEDSPOOL" once -c "$A/feedspool.conf" >/dev/null 2>"$A/once.err"
expect_eq "(a) once with sink = nats succeeds ($(tail -3 "$A/once.err"))" "$?" 0
consume A "$A/out"
cut -d' ' -f2 "$A/out.ids" | sort >"$A/got"
expect_eq "(a) every article is in the stream ($n_expected expected)" \
	"$(comm -23 "$TMP/expected" "$A/got" | wc -l | tr -d ' ')" 0
expect_eq "(a) and nothing else, and nothing twice" "$(wc -l <"$A/got" | tr -d ' ')" "$n_expected"
bad=0
while read -r seq id; do
	[ "$(jq -r .id "$A/out/$seq.json")" = "$id" ] || bad=$((bad + 1))
	[ "$(tail -c 1 "$A/out/$seq.json" | od -An -c | tr -d ' ')" = '\n' ] || bad=$((bad + 1))
done <"$A/out.ids"
expect_eq "(a) each message's Nats-Msg-Id is its JSON's id, one line as in the spool" "$bad" 0
checks=$((checks + 1))
python3 "${top_srcdir:-.}/tests/tools/validate_articles.py" "${top_srcdir:-.}/etc/feedspool-article.schema.json" \
	"$A"/out/*.json >"$A/schema.out" 2>&1 || fail "(a) messages that are not spool JSON: $(head -3 "$A/schema.out")"
expect_eq "(a) nothing is left in the spool's tmp/ or new/" \
	"$(find "$A/spool/tmp" "$A/spool/new" -type f | wc -l | tr -d ' ')" 0
# a changed item of a feed with revisions: published again as ID-r1, once
grow_feeds "$TMP/feeds" $FEEDS 10 "changed"
"$FEEDSPOOL" once -c "$A/feedspool.conf" >/dev/null 2>>"$A/once.err"
"$FEEDSPOOL" once -c "$A/feedspool.conf" >/dev/null 2>>"$A/once.err"
consume A "$A/out2"
expect_eq "(a) each changed item is in the stream once more, as ID-r1" \
	"$(grep -c -- '-r1$' "$A/out2.ids")" "$FEEDS"
expect_eq "(a) and nothing else was published again" "$(wc -l <"$A/out2.ids" | tr -d ' ')" $((n_expected + FEEDS))
rev_seq=$(grep -- '-r1$' "$A/out2.ids" | head -1 | cut -d' ' -f1)
expect_eq "(a) a revision's message says its number" "$(jq -r .revision "$A/out2/$rev_seq.json")" 1
grow_feeds "$TMP/feeds" $FEEDS 10

# ---- (c) run, the server down at start ----------------------------------------------------------
C=$TMP/c
conf "$C" C nats
stop_nats
"$FEEDSPOOL" run -c "$C/feedspool.conf" >/dev/null 2>"$C/run.err" &
daemon=$!
wait_for "(c) the stall is logged, naming the server" 60 logged "$C/run.err" \
	"NATS $NATS_URL stream C: .*not accepting articles"
sleep 3 # two more probes fail meanwhile: they must not log again (not a race: any length would do)
expect_eq "(c) it is logged once" "$(grep -c 'not accepting articles' "$C/run.err")" 1
expect_eq "(c) nothing went to the spool's new/ meanwhile" "$(find "$C/spool/new" -type f | wc -l | tr -d ' ')" 0
sh "$TMP/nats/start" || fail "(c) nats-server restarts"
wait_for "(c) resuming is logged" 60 logged "$C/run.err" "can be written again: accepting articles"
poll_until "(c) every article reaches the stream once the server is up" 120 stream_has C "$n_expected"
# the sink is read at start: a reload that changes it says so and keeps the running one
sed -i 's/^nats_subject = .*/nats_subject = test.other/' "$C/feedspool.conf"
kill -HUP $daemon
wait_for "(c) a reload that changes the sink says it takes a restart" 30 logged "$C/run.err" \
	"reload: sink and the NATS settings change only with a restart"
kill -TERM $daemon
wait $daemon
expect_eq "(c) the daemon stops cleanly" "$?" 0
daemon=
consume C "$C/out"
expect_eq "(c) nothing lost, nothing twice ($n_expected)" "$(wc -l <"$C/out.ids" | tr -d ' ')" "$n_expected"
cut -d' ' -f2 "$C/out.ids" | sort >"$C/got"
expect_eq "(c) the very articles of the feeds" "$(comm -3 "$TMP/expected" "$C/got" | wc -l | tr -d ' ')" 0

# ---- (d) sink = spool nats ------------------------------------------------------------------------
D=$TMP/d
conf "$D" D "spool nats"
"$FEEDSPOOL" once -c "$D/feedspool.conf" >/dev/null 2>"$D/once.err"
expect_eq "(d) once with sink = spool nats succeeds ($(tail -3 "$D/once.err"))" "$?" 0
consume D "$D/out"
ls "$D/spool/new" | sed -n 's/\.json$//p' | sort >"$D/spooled"
cut -d' ' -f2 "$D/out.ids" | sort >"$D/got"
expect_eq "(d) every article is in new/" "$(comm -3 "$TMP/expected" "$D/spooled" | wc -l | tr -d ' ')" 0
expect_eq "(d) every article is in the stream, once" "$(comm -3 "$TMP/expected" "$D/got" | wc -l | tr -d ' ')/$(wc -l <"$D/got" | tr -d ' ')" "0/$n_expected"
expect_eq "(d) with its text beside it in new/" "$(ls "$D/spool/new" | grep -c '\.txt$')" "$n_expected"
bad=0
while read -r seq id; do
	cmp -s "$D/out/$seq.json" "$D/spool/new/$id.json" || bad=$((bad + 1))
done <"$D/out.ids"
expect_eq "(d) the stream's copy is the spool's, byte for byte" "$bad" 0
expect_eq "(d) nothing is left in tmp/" "$(find "$D/spool/tmp" -type f | wc -l | tr -d ' ')" 0
finish

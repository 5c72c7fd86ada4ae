#!/bin/bash
# SPDX-License-Identifier: MIT
# Exactly-once into NATS JetStream through crashes: `feedspool run` with sink = nats is
# SIGKILLed at random instants (NATS_KILLS times, 12 by default) while the feeds keep growing,
# nats-server is restarted once under the running daemon, and every fourth kill comes while the
# server is away (the daemon stalled with articles staged and recorded: recovery sends them). Afterwards, once a clean run has caught up, every
# article the feeds list is in the stream exactly once: as many distinct Nats-Msg-Ids as
# articles, and as many messages as ids (the server dropped what recovery published again).
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
need jq
need python3
CONSUME=${top_builddir:-.}/tests/nats_consume
[ -x "$CONSUME" ] || { echo "tests/nats_consume is not built" >&2; exit 99; }
KILLS=${NATS_KILLS:-12}
FEEDS=10
mkdir -p "$TMP/feeds" "$TMP/run"

grow_feeds "$TMP/feeds" $FEEDS 8
start_fixture_server "$TMP/feeds"
start_nats
trap 'kill $server 2>/dev/null; [ -n "${daemon:-}" ] && kill -9 $daemon 2>/dev/null; stop_engines; rm -rf "$TMP"' EXIT

{
	nats_conf_preamble nats CRASH crash.articles
	echo "interval = 1s"
	echo "min_interval = 1s"
	for f in $(seq 1 $FEEDS); do
		printf '[feed f%s]\nurl = http://127.0.0.1:%s/feed/f%s.xml?max_age=-1\n' "$f" "$PORT" "$f"
	done
} >"$TMP/run/feedspool.conf"

expected() {
	for f in $(seq 1 $FEEDS); do
		"$FEEDSPOOL" parse --url "http://127.0.0.1:$PORT/feed/f$f.xml?max_age=-1" "$TMP/feeds/f$f.xml" | jq -r .id
	done | sort
}

# consume OUT: the stream into OUT/ and OUT.ids ("SEQ MSGID")
consume() {
	rm -rf "$1" && mkdir -p "$1"
	"$CONSUME" "$NATS_URL" CRASH "$1" >"$1.ids"
}

# caught_up: the stream holds every expected id
caught_up() {
	consume "$TMP/probe" 2>/dev/null &&
		[ "$(cut -d' ' -f2 "$TMP/probe.ids" | sort -u | comm -23 "$TMP/expected" - | wc -l)" -eq 0 ]
}

restart_at=$((KILLS / 2)) starts=0 down=
for k in $(seq 1 "$KILLS"); do
	grow_feeds "$TMP/feeds" $FEEDS $(((k + 1) * 8))
	"$FEEDSPOOL" run -c "$TMP/run/feedspool.conf" >/dev/null 2>>"$TMP/run.err" &
	daemon=$!
	if [ "$k" -eq "$restart_at" ]; then
		# the server goes away and comes back under the running daemon
		sleep "$(awk -v s="$k$$" 'BEGIN {srand(s); printf "%.3f", rand() * 0.8}')"
		sh "$TMP/nats/restart" || fail "nats-server restarts"
		starts=$((starts + 1))
	elif [ $((k % 4)) -eq 2 ]; then
		# killed while the server is away: what it staged and recorded meanwhile is
		# published by recovery at a later start
		sh "$TMP/nats/stop"
		wait_for "round $k: the daemon stalls without the server" 30 grep -q "not accepting" "$TMP/run.err"
		sed -i 's/not accepting/(seen) not accepting/' "$TMP/run.err"
		down=1
	fi
	# a random instant within the daemon's first passes
	sleep "$(awk -v s="$k$$" 'BEGIN {srand(s + 1); printf "%.3f", rand() * 1.5}')"
	kill -9 $daemon 2>/dev/null
	wait $daemon 2>/dev/null
	daemon=
	if [ -n "$down" ]; then
		sh "$TMP/nats/start" || fail "nats-server starts again"
		starts=$((starts + 1)) down=
	fi
done
expect_eq "nats-server was restarted under the daemon and stopped at kills" \
	"$(grep -c 'Server is ready' "$TMP/nats/server.log")" $((starts + 1))

# a clean run until the stream has every article the feeds list
expected >"$TMP/expected"
"$FEEDSPOOL" run -c "$TMP/run/feedspool.conf" >/dev/null 2>>"$TMP/run.err" &
daemon=$!
poll_until "after $KILLS kills, a clean run brings every article to the stream" 120 caught_up
kill -TERM $daemon
wait $daemon
expect_eq "the clean run stops cleanly" "$?" 0
daemon=
consume "$TMP/out"
n=$(wc -l <"$TMP/expected" | tr -d ' ')
expect_eq "distinct Nats-Msg-Ids: every article ($n)" "$(cut -d' ' -f2 "$TMP/out.ids" | sort -u | wc -l | tr -d ' ')" "$n"
expect_eq "messages: each article exactly once" "$(wc -l <"$TMP/out.ids" | tr -d ' ')" "$n"
expect_eq "nothing but the feeds' articles" "$(cut -d' ' -f2 "$TMP/out.ids" | sort -u | comm -13 "$TMP/expected" - | wc -l | tr -d ' ')" 0
finish

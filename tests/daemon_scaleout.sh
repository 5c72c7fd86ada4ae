#!/bin/bash
# SPDX-License-Identifier: MIT
# Three `feedspool run` instances on one PostgreSQL (state = postgresql://...) and one JetStream
# stream (sink = nats), over a few hundred feeds on the fixture server that grow between rounds:
# SCALE_KILLS (20) SIGKILLs of randomly chosen instances (each restarted), one restart of
# nats-server and one of PostgreSQL under the running instances. Checks: every article the feeds
# list is in the stream exactly once (as many distinct Nats-Msg-Ids as articles, as many messages
# as ids); the feeds a killed instance held (lease_owner) are fetched by the others within
# lease_time + interval while it stays down; max_per_host holds across the instances at the
# fixture server (/stats: requests at once; connections at once too with
# SCALE_STRICT_CONNECTIONS=1). SCALE_SEED repeats a run's choices.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
need jq
need python3
need curl
export LC_ALL=C # sort, comm and join agree on the order
CONSUME=${top_builddir:-.}/tests/nats_consume
[ -x "$CONSUME" ] || { echo "tests/nats_consume is not built" >&2; exit 99; }
FEEDS=${SCALE_FEEDS:-300}
KILLS=${SCALE_KILLS:-20}
SEED=${SCALE_SEED:-$$}
# every feed due every INTERVAL s: 300 feeds every 20 s is well within what max_per_host = 6
# fetches at once across the cluster bring on a loaded 2-core machine (a saturated cluster takes
# nothing over on time: an expired lease's feed, due at the expiry, waits behind the backlog)
INTERVAL=20 LEASE=3 MAX_PER_HOST=6
ITEMS=2          # items per feed at the start; every round adds one on top
echo "seed $SEED ($FEEDS feeds, $KILLS kills; SCALE_SEED=$SEED repeats the run's choices)" >&2
mkdir -p "$TMP/feeds"

pid1= pid2= pid3=
stop_all() {
	for _i in 1 2 3; do
		eval "_p=\$pid$_i"
		[ -n "$_p" ] && kill -9 "$_p" 2>/dev/null
	done
}
trap 'stop_all; kill $server 2>/dev/null; stop_engines; [ -n "${KEEP_TMP:-}" ] && mkdir -p "$KEEP_TMP" && cp -r "$TMP"/i? "$KEEP_TMP"; rm -rf "$TMP"' EXIT
start_postgres
start_nats
grow_feeds "$TMP/feeds" "$FEEDS" $ITEMS
start_fixture_server "$TMP/feeds"

# every instance: its own directory (spool, control socket), the same database and stream
for i in 1 2 3; do
	mkdir -p "$TMP/i$i"
	{
		nats_conf_preamble nats SCALE scale.articles "$PG_URI"
		echo "interval = ${INTERVAL}s"
		echo "min_interval = 1s"
		echo "lease_time = ${LEASE}s"
		echo "max_per_host = $MAX_PER_HOST"
		for f in $(seq 1 "$FEEDS"); do
			printf '[feed f%s]\nurl = http://127.0.0.1:%s/feed/f%s.xml?max_age=-1\n' "$f" "$PORT" "$f"
		done
	} >"$TMP/i$i/feedspool.conf"
done

psql_q() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U feedspool -d postgres -Atc "$1" 2>/dev/null; }
stats() { curl -s "$BASE/stats"; }

# start I: starts instance I (its log appended to $TMP/iI/run.err, from offset $logatI)
start() {
	eval "logat$1=\$(stat -c %s \"\$TMP/i\$1/run.err\" 2>/dev/null || echo 0)"
	"$FEEDSPOOL" run -c "$TMP/i$1/feedspool.conf" >/dev/null 2>>"$TMP/i$1/run.err" </dev/null &
	eval "pid$1=\$!"
}

# up I: instance I has logged its start since it was started (its store is open)
up() {
	eval "_at=\$logat$1"
	tail -c +$((_at + 1)) "$TMP/i$1/run.err" | grep -q 'started: '
}

# alive I: instance I is still running
alive() {
	eval "_p=\$pid$1"
	kill -0 "$_p" 2>/dev/null
}

# kill9 I: SIGKILLs instance I and reaps it
kill9() {
	eval "_p=\$pid$1"
	kill -9 "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	eval "pid$1="
}

# its name in the database ends in its spool's path (host:spool)
owner_like() { echo "%/i$1/spool"; }
# await_lease I S: waits (at most S s) until instance I holds a lease. A lease lives for one fetch
# (tens of ms) and the cluster's six slots go mostly to whichever instance frees one (it claims
# again at once; the others ask once a second): sampled from here every 0.2 s, a run once saw none
# of instance 3's leases in 60 s. The wait runs in the database, which looks every 5 ms.
await_lease() {
	"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U feedspool -d postgres -Aqt -v ON_ERROR_STOP=1 \
		-c "SET statement_timeout = '${2}s'" -c "DO \$\$ BEGIN
		WHILE NOT EXISTS (SELECT 1 FROM feeds WHERE lease_owner LIKE '$(owner_like "$1")') LOOP
			PERFORM pg_sleep(0.005);
		END LOOP; END \$\$" >/dev/null 2>&1
}

# fetches FEED...: the fixture server's request counts of those feeds, one per line
fetches() {
	stats | jq -r --arg names "$*" '.requests as $r | $names | split(" ")[] |
		($r["/feed/" + . + ".xml"] // 0)'
}

# taken_over: every feed in $TMP/held ("NAME LEASE_NO FETCHES") was claimed again (its lease
# number moved on; only another instance can claim it) and fetched again at the fixture server
taken_over() {
	_values=$(awk -v q="'" '{ printf "%s(%s%s%s, %s)", (NR > 1 ? ", " : ""), q, $1, q, $2 }' "$TMP/held")
	_claimed=$(psql_q "SELECT count(*) FROM feeds f JOIN (VALUES $_values) AS v(name, no)
		ON f.name = v.name WHERE f.lease_no > v.no")
	[ "${_claimed:-0}" -eq "$(wc -l <"$TMP/held")" ] || return 1
	# shellcheck disable=SC2046
	fetches $(cut -d' ' -f1 "$TMP/held") | paste -d' ' "$TMP/held" - |
		awk '$4 <= $3 { n++ } END { exit n > 0 }'
}

# takeover ROUND VICTIM: kills VICTIM while it holds leases, keeps it down, and checks that the
# others fetch the feeds it held within lease_time + interval
takeover() {
	: >"$TMP/held"
	: >"$TMP/held.names"
	for _try in 1 2 3 4 5; do
		_w0=$(date +%s%N)
		await_lease "$2" 60 || { fail "round $1: instance $2 holds a lease (not within 60 s)"; break; }
		kill9 "$2"
		echo "round $1: instance $2 seen holding a lease after $((($(date +%s%N) - _w0) / 1000000)) ms (try $_try)" >&2
		psql_q "SELECT name, lease_no FROM feeds WHERE lease_owner LIKE '$(owner_like "$2")'" |
			tr '|' ' ' >"$TMP/held.names"
		[ -s "$TMP/held.names" ] && break
		# its fetches ended (leases given back) between the look and the kill: again
		start "$2"
		poll_until "round $1: instance $2 starts again" 60 up "$2" || break
	done
	if [ ! -s "$TMP/held.names" ]; then
		fail "round $1: instance $2 was never killed holding a lease"
		kill9 "$2"
		return
	fi
	# shellcheck disable=SC2046
	fetches $(cut -d' ' -f1 "$TMP/held.names") | paste -d' ' "$TMP/held.names" - >"$TMP/held"
	_t0=$(date +%s%N)
	_n=$(wc -l <"$TMP/held")
	if poll_until "round $1: the $_n feeds instance $2 held ($(cut -d' ' -f1 "$TMP/held" | tr '\n' ' '))are fetched by the others within lease_time + interval ($LEASE + $INTERVAL s)" \
		$((LEASE + INTERVAL)) taken_over; then
		echo "takeover (round $1): the $_n feeds instance $2 held, fetched by the others after $((($(date +%s%N) - _t0) / 1000000)) ms" >&2
		takeovers=$((takeovers + 1))
	else
		echo "held at the kill (name, lease_no, fetches) and now (fetches; name|lease_owner|lease_no|lease_expires|next_due|now):" >&2
		# shellcheck disable=SC2046
		fetches $(cut -d' ' -f1 "$TMP/held") | paste -d' ' "$TMP/held" - >&2
		psql_q "SELECT name, lease_owner, lease_no, lease_expires, next_due,
			extract(epoch FROM now())::bigint FROM feeds WHERE name IN
			($(awk -v q="'" '{ printf "%s%s%s%s", (NR > 1 ? ", " : ""), q, $1, q }' "$TMP/held"))" >&2
	fi
}

# the rounds: who is killed when, drawn from the seed
awk -v s="$SEED" -v n="$KILLS" 'BEGIN { srand(s); for (k = 1; k <= n; k++)
	printf "%d %.3f\n", int(rand() * 3) + 1, rand() * 1.2 }' >"$TMP/plan"
NATS_AT=$((KILLS / 3)) PG_AT=$((2 * KILLS / 3))
TAKEOVER_AT=" $((KILLS / 4)) $((3 * KILLS / 4)) "
takeovers=0 kills=0 crashed=0

for i in 1 2 3; do start $i; done
for i in 1 2 3; do poll_until "instance $i starts ($(tail -2 "$TMP/i$i/run.err"))" 60 up $i; done
# the first pass over every feed (all due at once) is done before the rounds start
first_pass() { [ "$(psql_q "SELECT count(*) FROM feeds WHERE last_fetch > 0")" -ge "$FEEDS" ] 2>/dev/null; }
poll_until "the first pass over the $FEEDS feeds" 60 first_pass
echo "first pass done (${SECONDS}s)" >&2
k=0
while read -r victim delay <&3; do
	k=$((k + 1))
	grow_feeds "$TMP/feeds" "$FEEDS" $((ITEMS + k))
	if [ $k -eq "$NATS_AT" ]; then
		sh "$TMP/nats/restart" || fail "round $k: nats-server restarts"
		echo "round $k: nats-server restarted" >&2
	fi
	if [ $k -eq "$PG_AT" ]; then
		restart_postgres || fail "round $k: PostgreSQL restarts"
		echo "round $k: PostgreSQL restarted" >&2
	fi
	if ! poll_until "round $k: instance $victim starts" 60 up "$victim"; then
		echo "round $k: instance $victim did not start; its log's last lines:" >&2
		tail -5 "$TMP/i$victim/run.err" >&2
		break # the rounds end here; the checks below say what else went wrong
	fi
	case $TAKEOVER_AT in
	*" $k "*) takeover $k "$victim" ;;
	*)
		sleep "$delay" # a random instant in the instance's work (drawn from the seed)
		kill9 "$victim"
		;;
	esac
	kills=$((kills + 1))
	for i in 1 2 3; do
		[ "$i" = "$victim" ] || alive $i || { crashed=$((crashed + 1)); fail "round $k: instance $i died ($(tail -3 "$TMP/i$i/run.err"))"; start $i; }
	done
	start "$victim"
	echo "round $k: instance $victim killed and restarted (${SECONDS}s)" >&2
done 3<"$TMP/plan"
expect_eq "SIGKILLs of random instances" "$kills" "$KILLS"
expect_eq "takeovers seen within lease_time + interval" "$takeovers" 2
echo "kills: $kills (plan $(cut -d' ' -f1 "$TMP/plan" | sort | uniq -c | awk '{ printf "%sinstance %s x%s", (NR > 1 ? ", " : ""), $2, $1 }')), instances that died on their own: $crashed" >&2

# the quiet catch-up: the three instances run until the database has a record of every article
# the feeds list and the stream holds as many ids; then they stop and the stream is checked
grep -ho '<guid>[^<]*</guid>' "$TMP"/feeds/f*.xml | sed 's/<[^>]*>//g' | sort >"$TMP/listed"
n_listed=$(wc -l <"$TMP/listed" | tr -d ' ')
# recorded: the database holds a record (being published, or published) of every article
recorded() {
	_recorded=$(psql_q "SELECT count(*) FROM seen WHERE status IN (1, 2)")
	[ "${_recorded:-0}" -ge "$n_listed" ]
}
# in_stream: the stream holds every article the feeds list
in_stream() {
	rm -rf "$TMP/probe" && mkdir -p "$TMP/probe" &&
		"$CONSUME" "$NATS_URL" SCALE "$TMP/probe" >"$TMP/probe.ids" 2>/dev/null &&
		_in_stream=$(cut -d' ' -f2 "$TMP/probe.ids" | sort -u | wc -l) &&
		[ "$_in_stream" -ge "$n_listed" ]
}
if ! { poll_until "the instances catch up: $n_listed articles recorded" 60 recorded &&
	poll_until "the instances catch up: $n_listed articles in the stream" 60 in_stream; }; then
	echo "records not settled (status 1 spooling, 4 reserved; id|feed|guid|status|owner):" >&2
	psql_q "SELECT id, feed, guid, status, owner FROM seen WHERE status IN (1, 4) ORDER BY id LIMIT 20" >&2
fi
echo "caught up (${SECONDS}s): $n_listed listed, ${_recorded:-?} recorded, ${_in_stream:-?} in the stream; the database's records by status (1 spooling, 2 written, 4 reserved): $(psql_q "SELECT status, count(*) FROM seen GROUP BY status ORDER BY status" | tr '|\n' '= ')" >&2
for i in 1 2 3; do
	eval "_p=\$pid$i"
	kill -TERM "$_p"
	wait "$_p"
	expect_eq "instance $i stops cleanly ($(tail -2 "$TMP/i$i/run.err"))" "$?" 0
	eval "pid$i="
done

rm -rf "$TMP/out" && mkdir -p "$TMP/out"
"$CONSUME" "$NATS_URL" SCALE "$TMP/out" >"$TMP/out.ids"
expect_eq "the stream can be read" "$?" 0
n_msgs=$(wc -l <"$TMP/out.ids" | tr -d ' ')
n_ids=$(cut -d' ' -f2 "$TMP/out.ids" | sort -u | wc -l | tr -d ' ')
# each message: SEQ, Nats-Msg-Id, the JSON's id, its feed's URL and its guid
find "$TMP/out" -name '*.json' -print0 | xargs -0 jq -r '[(input_filename | sub(".*/"; "") |
	sub("\\.json$"; "")), .id, .feed.url, .guid] | @tsv' | sort -k1,1 >"$TMP/out.json.tsv"
sort -k1,1 "$TMP/out.ids" | join -t' ' - <(tr '\t' ' ' <"$TMP/out.json.tsv") >"$TMP/out.all"
echo "exactly-once: $n_listed articles listed, $n_ids distinct Nats-Msg-Ids, $n_msgs messages" >&2
expect_eq "distinct Nats-Msg-Ids: one per article the feeds list" "$n_ids" "$n_listed"
expect_eq "messages: one per id, none twice ($(cut -d' ' -f2 "$TMP/out.ids" | sort | uniq -d | head -5 | tr '\n' ' '))" "$n_msgs" "$n_ids"
expect_eq "each message's Nats-Msg-Id is its JSON's id ($(awk '$2 != $3' "$TMP/out.all" | head -3))" \
	"$(awk '$2 == $3' "$TMP/out.all" | wc -l | tr -d ' ')" "$n_msgs"
cut -d' ' -f5 "$TMP/out.all" | sort >"$TMP/got.guids"
expect_eq "the stream holds the very items the feeds list (missing: $(comm -23 "$TMP/listed" "$TMP/got.guids" | head -5 | tr '\n' ' '))" \
	"$(comm -3 "$TMP/listed" "$TMP/got.guids" | wc -l | tr -d ' ')" 0
# the ids themselves, as `feedspool parse` computes them, for a few of the feeds
for f in 1 $((FEEDS / 2)) "$FEEDS"; do
	"$FEEDSPOOL" parse --url "http://127.0.0.1:$PORT/feed/f$f.xml?max_age=-1" "$TMP/feeds/f$f.xml" | jq -r .id
done | sort >"$TMP/sample"
expect_eq "the ids of feeds f1, f$((FEEDS / 2)), f$FEEDS ($(wc -l <"$TMP/sample" | tr -d ' ')) are in the stream" \
	"$(cut -d' ' -f2 "$TMP/out.ids" | sort -u | comm -23 "$TMP/sample" - | wc -l | tr -d ' ')" 0

# politeness across instances: one host, at most max_per_host requests at once in all (the
# leases' limit); the connections each instance keeps open, idle, for reuse count beside them
# at the server, so connections at once are checked only with SCALE_STRICT_CONNECTIONS=1
stats >"$TMP/stats.json"
max_conn=$(jq '.max_connections' "$TMP/stats.json")
max_req=$(jq '.max_concurrent["/feed"] // 0' "$TMP/stats.json")
echo "per host: at most $max_req requests and $max_conn connections at once (max_per_host = $MAX_PER_HOST, 3 instances)" >&2
check "requests to the one host at once: $max_req, at most max_per_host ($MAX_PER_HOST) across the instances" \
	test "$max_req" -le "$MAX_PER_HOST"
[ -z "${SCALE_STRICT_CONNECTIONS:-}" ] ||
	check "connections to the one host at once: $max_conn, at most max_per_host ($MAX_PER_HOST) across the instances" \
		test "$max_conn" -le "$MAX_PER_HOST"
if [ "$failures" -gt 0 ]; then
	for i in 1 2 3; do
		echo "--- instance $i ($TMP/i$i/run.err, last lines)" >&2
		tail -5 "$TMP/i$i/run.err" >&2
	done
fi
finish

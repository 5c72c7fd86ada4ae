#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): the scale-out store. N synthetic one-item feeds on nginx (127.0.0.1),
# fetched by one instance on SQLite, one on PostgreSQL, and one, two and three instances (each
# with its own spool) on one PostgreSQL database: for each, a cold cycle (every feed new, its
# article written) and a warm cycle (every feed answers 304), with wall time, CPU of feedspool
# and of the PostgreSQL server, fetches per feed (requests at nginx / N: 1.0 when instances
# share the work, K when each of K instances fetches everything), statements and commits per
# fetch (pg_stat_statements, pg_stat_database), the database connections seen, and the articles
# written (in every spool together: N cold, 0 warm, whatever the number of instances).
#
# `once` for "sqlite" and "pg1": the cycle is the command. `run` for "run1", "run2", "run3":
# the instances start together and the cycle ends when nginx has served every feed and the
# database has saved every feed's fetch (cold: and N articles are in the spools); its figures are
# taken then, and the instances are stopped. The
# warm cycle starts them again after making every feed due (UPDATE feeds SET next_due = 0).
# The database is a throwaway cluster (tests/lib_engines.sh) with pg_stat_statements loaded,
# fsync on (FSYNC=off turns it off), one database per configuration.
#
# Usage: [N=20000] [CONFIGS="sqlite pg1 run1 run2 run3"] [TIMEOUT=1800] [SETTLE=60] [TOP=0]
#        [KEEP=1] tests/bench/scaleout.sh [FEEDSPOOL]
#   FEEDSPOOL defaults to build/src/feedspool. TOP=K prints the K statements run most often in
#   each PostgreSQL cycle. A small mode to check the script: N=500 SETTLE=0.
# Needs: nginx (nginx-light), postgresql (with its pg_stat_statements), python3, time (GNU),
# curl.
set -eu
FS=$(readlink -f "${1:-build/src/feedspool}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
N=${N:-20000}
CONFIGS=${CONFIGS:-sqlite pg1 run1 run2 run3}
TIMEOUT=${TIMEOUT:-1800}
TOP=${TOP:-0}

bench_settle
TMP=$(mktemp -d)
tmp=$TMP
. "$here/../lib_engines.sh"
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
	stop_engines
	bench_cleanup "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/www"
echo "generating $N feeds..."
bench_synthetic "$tmp/www" "$N"
LOG=$tmp/access.log
BENCH_ACCESS_LOG=$LOG bench_nginx "$tmp" "$tmp/www"

# PostgreSQL as the tests start it, then again with pg_stat_statements and fsync as asked
start_postgres
stop_postgres
as_owner "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -t 60 \
	-o "-h 127.0.0.1 -p $PG_PORT -k $TMP/pg -c fsync=${FSYNC:-on} -c max_connections=200 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" \
	start >/dev/null
# psql_q SQL [DB]: runs SQL in DB (postgres) and prints its rows
psql_q() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U feedspool -d "${2:-postgres}" -Atqc "$1"; }
psql_q "CREATE EXTENSION pg_stat_statements"

echo "feedspool: $FS ($(git -C "$(dirname "$FS")" describe --always --dirty 2>/dev/null || echo '?'))"
echo "feeds: $N synthetic one-item feeds, nginx on 127.0.0.1:$bench_port;" \
	"PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') (fsync=${FSYNC:-on});" \
	"$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# cpu_of PID...: CPU seconds (user + system) of the processes, and of their reaped children
cpu_of() {
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13 + $14 + $15}')))
	done
	awk -v t=$t -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}
# pg_cpu: CPU seconds of the PostgreSQL server: the postmaster, the backends it reaped, and those
# running now
pg_cpu() {
	local pm
	pm=$(head -1 "$TMP/pg/data/postmaster.pid")
	cpu_of "$pm" $(pgrep -P "$pm" | tr '\n' ' ')
}
# served: requests nginx logged since offset $mark; distinct: feeds among them
served() { tail -c +$((mark + 1)) "$LOG" | wc -l; }
distinct() { tail -c +$((mark + 1)) "$LOG" | awk '!s[$2]++' | wc -l; }
articles() { # in every spool of the configuration
	find "$tmp/$cfg" -path '*/new/*.json' 2>/dev/null | wc -l
}
sub() { awk "BEGIN { printf \"%.2f\", $1 - $2 }"; }
ratio() { # ratio A B: A / B, or - when either is not a number
	case $1$2 in *[!0-9.]*) echo - ;; *) awk "BEGIN { if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\" }" ;; esac
}
# twice: articles whose id is in more than one file of the configuration's spools
twice() { find "$tmp/$cfg" -path '*/new/*.json' -printf '%f\n' | sort | uniq -d | wc -l; }

# instance_conf DIR STATE: the configuration of one instance (its own spool)
instance_conf() {
	mkdir -p "$1"
	bench_conf "$N" "$bench_port" | sed "s|^state = .*|state = $2|" >"$1/feedspool.conf"
}

# stats_begin / stats_end DB: what the database did in between
stats_begin() {
	[ -n "$db" ] || return 0
	psql_q "SELECT pg_stat_statements_reset()" >/dev/null
	commits0=$(psql_q "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'")
}
stats_end() {
	if [ -z "$db" ]; then
		stmts=- commits=- conns=-
		return 0
	fi
	local q="FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '$db')"
	stmts=$(psql_q "SELECT coalesce(sum(calls), 0) $q")
	# backends report their counts when they end (all of them have by now)
	commits=$(($(psql_q "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'") - commits0))
	if [ "$TOP" -gt 0 ]; then
		psql_q "SELECT calls, round(calls::numeric / greatest($fetches, 1), 2), left(regexp_replace(query, '\s+', ' ', 'g'), 110) $q ORDER BY calls DESC LIMIT $TOP" |
			awk -F'|' -v c="$cfg $what" '{ printf "    %-10s %8d calls, %6s per fetch: %s\n", c, $1, $2, $3 }' >>"$tmp/top"
	fi
}
# conns_sample: the most connections to $db seen so far in this cycle
conns_sample() {
	local n
	[ -n "$db" ] || return 0
	n=$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'" 2>/dev/null || echo 0)
	[ "$n" -gt "$conns" ] && conns=$n
	return 0
}

# once_cycle: one `feedspool once` of the configuration's single instance
once_cycle() {
	local dir=$tmp/$cfg/i1 p
	(cd "$dir" && exec /usr/bin/time -f '%e %U %S' -o "$dir/time.$what" "$FS" once \
		-c feedspool.conf 2>"$dir/once.$what.err") &
	p=$!
	while kill -0 "$p" 2>/dev/null; do
		conns_sample
		sleep 0.2 # sampling the connections while it runs, not timing a race
	done
	wait "$p" || true
	read -r secs user sys < <(tail -n 1 "$dir/time.$what")
	fs_cpu=$(awk "BEGIN { printf \"%.2f\", $user + $sys }")
	note=$(tail -1 "$dir/once.$what.err" | sed 's/^feedspool: //')
}

# saved T0: feeds whose fetch since T0 (seconds since the epoch) the database has saved
saved() {
	psql_q "SELECT count(*) FROM feeds WHERE last_fetch >= ${1%.*}" "$db" 2>/dev/null || echo 0
}

# run_cycle K: K `feedspool run` started together, until every feed was served, its fetch saved
# in the database (and, cold, N articles written); then their CPU, and they are stopped
run_cycle() {
	local k=$1 i t0 t1 want_articles=0 alive
	[ "$what" = cold ] && want_articles=$N
	pids=""
	t0=$(date +%s.%N)
	for i in $(seq "$k"); do
		(cd "$tmp/$cfg/i$i" && exec "$FS" run -c feedspool.conf 2>>"run.err") &
		pids="$pids $!"
	done
	note="timed out after $TIMEOUT s"
	last_saved=-1 still=0 t_last=""
	while :; do
		conns_sample
		if [ "$(distinct)" -ge "$N" ] && [ "$(articles)" -ge "$want_articles" ]; then
			# every feed served: then until the database saved them all, or saves stop
			# coming for 5 s (a save that never lands is reported, not waited for)
			n=$(saved "$t0")
			[ "$n" -ge "$N" ] && { note=""; break; }
			if [ "$n" -eq "$last_saved" ]; then
				still=$((still + 1))
				[ "$still" -lt 25 ] || { note="$((N - n)) fetches not saved in the database"; break; }
			else
				last_saved=$n still=0 t_last=$(date +%s.%N)
			fi
		fi
		alive=0
		for i in $pids; do kill -0 "$i" 2>/dev/null && alive=1; done
		[ "$alive" = 1 ] || { note="every instance exited (see $tmp/$cfg/i*/run.err)"; break; }
		[ "$(awk -v t0="$t0" -v t="$(date +%s.%N)" 'BEGIN { print (t - t0 >= '"$TIMEOUT"') }')" = 1 ] && break
		sleep 0.2 # polling nginx's log and the spools, not timing a race
	done
	t1=$(date +%s.%N)
	# ended by saves that stopped coming: the cycle ended with the last one
	[ "$still" -lt 25 ] || t1=$t_last
	secs=$(sub "$t1" "$t0")
	fs_cpu=$(cpu_of $pids)
	kill -TERM $pids 2>/dev/null || true
	for i in $pids; do wait "$i" 2>/dev/null || true; done
	pids=""
}

printf '\n%-7s %-5s %8s %8s %8s %9s %9s %8s %9s %6s %8s  %s\n' config cycle "wall s" "feeds/s" \
	"fetch/fd" "fs CPU s" "pg CPU s" "stmt/ft" "commit/ft" conns articles note
printf '%.0s-' $(seq 119)
echo
for cfg in $CONFIGS; do
	case $cfg in
	sqlite) k=1 db="" mode=once ;;
	pg1) k=1 db=b_pg1 mode=once ;;
	run[1-9]) k=${cfg#run} db=b_$cfg mode=run ;;
	*) echo "unknown configuration '$cfg' (sqlite, pg1, run1, run2, run3...)" >&2; exit 2 ;;
	esac
	state=state.db
	if [ -n "$db" ]; then
		psql_q "CREATE DATABASE $db"
		state="postgresql://feedspool@127.0.0.1:$PG_PORT/$db"
	fi
	for i in $(seq "$k"); do instance_conf "$tmp/$cfg/i$i" "$state"; done
	sync # the setup's writes go out now, not during the timed cycle
	for what in cold warm; do
		if [ "$what" = warm ] && [ "$mode" = run ]; then
			psql_q "UPDATE feeds SET next_due = 0, lease_expires = 0" "$db" >/dev/null
		fi
		mark=$(stat -c %s "$LOG")
		conns=0
		stats_begin
		pg0=$(pg_cpu)
		before=$(articles) dup0=$(twice)
		if [ "$mode" = once ]; then once_cycle; else run_cycle "$k"; fi
		pgc=-
		[ -n "$db" ] && pgc=$(sub "$(pg_cpu)" "$pg0")
		fetches=$(served)
		stats_end
		printf '%-7s %-5s %8s %8s %8s %9s %9s %8s %9s %6s %8s  %s\n' "$cfg" "$what" "$secs" \
			"$(ratio "$N" "$secs")" "$(ratio "$fetches" "$N")" "$fs_cpu" "$pgc" \
			"$(ratio "$stmts" "$fetches")" "$(ratio "$commits" "$fetches")" "$conns" \
			"$(($(articles) - before))" "$note"
		dup=$(($(twice) - dup0))
		[ "$dup" -eq 0 ] || echo "        $dup articles written twice in this cycle (one id in two spools)"
	done
done
if [ -s "$tmp/top" ]; then
	echo
	echo "statements run most often (pg_stat_statements; per fetch = calls / requests at nginx):"
	cat "$tmp/top"
fi

# SPDX-License-Identifier: MIT
# Throwaway PostgreSQL and NATS JetStream servers for the scale-out tests, on 127.0.0.1 only, in
# $TMP, on free ports; sourced after tests/lib.sh. Each start_* sets the variables it names and
# registers the server with stop_engines, which the caller's EXIT trap runs. A missing server
# binary skips the test (77): the README's test command installs both.

engine_pids=""

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on (the kernel picks it)
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pg_bindir: the directory of Debian's PostgreSQL server binaries (the newest major)
pg_bindir() {
	for _d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$_d/initdb" ] && { echo "$_d"; return 0; }
	done
	return 1
}

# as_owner CMD...: runs CMD as the owner of $TMP/pg (postgres refuses to run as root)
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$pg_user" --regid="$pg_group" --clear-groups -- "$@"
	else
		"$@"
	fi
}

# start_postgres: initdb in $TMP/pg as an unprivileged user (nobody when run as root), listening
# on 127.0.0.1:$PG_PORT and a socket in $TMP/pg; sets PG_URI (postgresql://...) and PG_BIN.
start_postgres() {
	PG_BIN=$(pg_bindir) || { echo "SKIP: no PostgreSQL server (apt-get install postgresql)"; exit 77; }
	mkdir -p "$TMP/pg"
	pg_user=$(id -u) pg_group=$(id -g)
	if [ "$(id -u)" -eq 0 ]; then
		pg_user=$(id -u nobody) pg_group=$(id -g nobody)
		chmod 0755 "$TMP"
		chown "$pg_user:$pg_group" "$TMP/pg"
	fi
	as_owner "$PG_BIN/initdb" -D "$TMP/pg/data" -U feedspool --auth=trust -E UTF8 \
		--no-sync >"$TMP/pg/initdb.log" 2>&1 ||
		{ echo "initdb failed: $(tail -5 "$TMP/pg/initdb.log")" >&2; exit 99; }
	PG_PORT=$(free_port)
	as_owner "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -t 60 \
		-o "-h 127.0.0.1 -p $PG_PORT -k $TMP/pg -c fsync=off -c max_connections=200" start \
		>/dev/null 2>&1 || { echo "postgres did not start: $(tail -5 "$TMP/pg/server.log")" >&2; exit 99; }
	PG_URI="postgresql://feedspool@127.0.0.1:$PG_PORT/postgres"
	engine_pids="$engine_pids pg"
}

stop_postgres() {
	[ -n "${PG_BIN:-}" ] && as_owner "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m fast -w stop >/dev/null 2>&1
}

# restart_postgres: stops and starts the same cluster on the same port
restart_postgres() {
	stop_postgres
	as_owner "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -t 60 \
		-o "-h 127.0.0.1 -p $PG_PORT -k $TMP/pg -c fsync=off -c max_connections=200" start >/dev/null 2>&1
}

# start_nats: nats-server with JetStream, its store in $TMP/nats, on 127.0.0.1:$NATS_PORT;
# sets NATS_URL and writes $TMP/nats/restart, a script that restarts it (same port and store)
# and returns once it is ready again.
start_nats() {
	command -v nats-server >/dev/null 2>&1 || { echo "SKIP: no nats-server (apt-get install nats-server)"; exit 77; }
	mkdir -p "$TMP/nats"
	NATS_PORT=${NATS_PORT:-$(free_port)}
	NATS_URL="nats://127.0.0.1:$NATS_PORT"
	cat >"$TMP/nats/start" <<EOS
#!/bin/sh
# starts nats-server in the background; returns once its log says it is ready
n=\$(grep -c 'Server is ready' "$TMP/nats/server.log" 2>/dev/null || true)
nats-server -js -a 127.0.0.1 -p $NATS_PORT -sd "$TMP/nats" -l "$TMP/nats/server.log" \\
	-P "$TMP/nats/pid" </dev/null >/dev/null 2>&1 &
i=0
while m=\$(grep -c 'Server is ready' "$TMP/nats/server.log" 2>/dev/null); [ "\${m:-0}" -le "\${n:-0}" ]; do
	i=\$((i + 1))
	[ \$i -lt 600 ] || { echo "nats-server did not start" >&2; exit 1; }
	sleep 0.05 # polling for the ready line, not timing a race
done
EOS
	cat >"$TMP/nats/stop" <<EOS
#!/bin/sh
# stops nats-server and returns once it is gone
pid=\$(cat "$TMP/nats/pid" 2>/dev/null) || exit 0
kill "\$pid" 2>/dev/null
while kill -0 "\$pid" 2>/dev/null; do sleep 0.05; done # waiting for the exit, not timing a race
rm -f "$TMP/nats/pid"
EOS
	printf '#!/bin/sh\nsh "%s/nats/stop" && sh "%s/nats/start"\n' "$TMP" "$TMP" >"$TMP/nats/restart"
	sh "$TMP/nats/start" || { tail -5 "$TMP/nats/server.log" >&2; exit 99; }
	engine_pids="$engine_pids nats"
}

stop_nats() {
	sh "$TMP/nats/stop"
}

# stop_engines: stops every server started above (for the EXIT trap)
stop_engines() {
	case $engine_pids in *pg*) stop_postgres ;; esac
	case $engine_pids in *nats*) stop_nats ;; esac
}

# pg_conf_preamble SPOOL INTERVAL: prints the [feedspool] lines that the tests of one daemon on
# PostgreSQL share (state = $PG_URI, the spool, the fixture server's address allowed, JSON
# articles, no near-duplicates, every feed due every INTERVAL, no jitter); the caller adds its
# own keys and feeds after them.
pg_conf_preamble() {
	echo "[feedspool]"
	echo "state = $PG_URI"
	echo "spool = $1"
	echo "allow_private = 127.0.0.1"
	echo "format = json"
	echo "near_duplicates = no"
	echo "interval = $2"
	echo "jitter = 0"
}

# nats_conf_preamble SINK STREAM SUBJECT [STATE]: prints the [feedspool] lines that the NATS
# tests share (state, default state.db; spool; the fixture server's address allowed; no
# near-duplicates; no jitter; sink SINK into STREAM on SUBJECT at $NATS_URL); the caller adds
# its own keys and feeds after them.
nats_conf_preamble() {
	echo "[feedspool]"
	echo "state = ${4:-state.db}"
	echo "spool = spool"
	echo "allow_private = 127.0.0.1"
	echo "near_duplicates = no"
	echo "jitter = 0"
	echo "sink = $1"
	echo "nats_url = $NATS_URL"
	echo "nats_stream = $2"
	echo "nats_subject = $3"
	echo "nats_ack_timeout = 2s"
}

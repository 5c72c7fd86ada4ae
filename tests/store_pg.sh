#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a PostgreSQL test program (tests/test_pg_*.c execs this script when PG_URI is unset)
# against a throwaway server on 127.0.0.1 that this script starts and stops: PG_URI names it,
# PG_RESTART is a command that restarts it (same port, same data), PG_STOP and PG_START stop it
# and start it again.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
trap 'stop_engines; rm -rf "$TMP"' EXIT
prog=${1:?usage: store_pg.sh PROGRAM}
start_postgres
if [ "$(id -u)" -eq 0 ]; then
	owner="setpriv --reuid=$pg_user --regid=$pg_group --clear-groups --"
else
	owner=
fi
PG_RESTART="$owner $PG_BIN/pg_ctl -D $TMP/pg/data -l $TMP/pg/server.log -m fast -w restart >/dev/null"
PG_STOP="$owner $PG_BIN/pg_ctl -D $TMP/pg/data -m fast -w stop >/dev/null"
PG_START="$owner $PG_BIN/pg_ctl -D $TMP/pg/data -l $TMP/pg/server.log -w -t 60 -o '-h 127.0.0.1 -p $PG_PORT -k $TMP/pg -c fsync=off -c max_connections=200' start >/dev/null"
PG_URI=$PG_URI PG_RESTART=$PG_RESTART PG_STOP=$PG_STOP PG_START=$PG_START "$prog"
status=$?
[ $status -eq 0 ] || tail -20 "$TMP/pg/server.log" >&2
exit $status

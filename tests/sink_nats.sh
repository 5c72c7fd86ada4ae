#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a NATS test program (tests/test_nats_*.c execs this script when NATS_URL is unset)
# against a throwaway nats-server with JetStream on 127.0.0.1 that this script starts and
# stops: NATS_URL names it, NATS_RESTART is a command that restarts it (same port and store).
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/lib_engines.sh"
trap 'stop_engines; rm -rf "$TMP"' EXIT
prog=${1:?usage: sink_nats.sh PROGRAM}
start_nats
NATS_URL=$NATS_URL NATS_RESTART="sh $TMP/nats/restart" "$prog"
status=$?
[ $status -eq 0 ] || tail -20 "$TMP/nats/server.log" >&2
exit $status

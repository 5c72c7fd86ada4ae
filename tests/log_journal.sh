#!/bin/sh
# SPDX-License-Identifier: MIT
# Under journald, each log entry goes to the journal with its priority and, for a feed, FEED=
# and URL= fields (the URL without userinfo). A stand-in journal socket (a datagram socket at
# /run/systemd/journal/socket, where sd_journal_sendv writes) receives what a `once` sends
# when stderr is the journal stream (JOURNAL_STREAM names it). Runs as root on a machine
# without journald; skipped elsewhere.
. "${top_srcdir:-.}/tests/lib.sh"
need python3
SOCK=/run/systemd/journal/socket
if [ "$(id -u)" -ne 0 ] || [ -e "$SOCK" ]; then
	echo "SKIP: needs root and no journald (a stand-in socket at $SOCK)"
	exit 77
fi
mkdir -p /run/systemd/journal
python3 - "$SOCK" "$TMP/journal" "$TMP/ready" <<'PY' &
import os, socket, sys
path, out, ready = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(20)
open(ready, "w").close()
with open(out, "wb") as f:
    try:
        while True:
            data = s.recv(1 << 20)
            if data == b"END":
                break
            f.write(data + b"\n\x00\n")
            f.flush()
    except socket.timeout:
        pass
os.unlink(path)
PY
listener=$!
trap 'kill $listener 2>/dev/null; rm -f "$SOCK"; rm -rf "$TMP"' EXIT
ready() { [ -e "$TMP/ready" ]; }
wait_for "the stand-in journal socket is there" 10 ready

cat >"$TMP/feedspool.conf" <<EOF2
[feedspool]
state = $TMP/state.db
spool = $TMP/spool
allow_file_urls = yes
[feed outlet-a]
url = file://$FIXTURES/seed-feeds/outlet-a.rss
EOF2
: >"$TMP/stderr"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/stderr") "$FEEDSPOOL" once -c "$TMP/feedspool.conf" 2>>"$TMP/stderr"
expect_eq "once exits 0" "$?" 0
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"END", sys.argv[1])' "$SOCK"
wait $listener
entry=$(python3 - "$TMP/journal" <<'PY'
import sys
for e in open(sys.argv[1], "rb").read().split(b"\n\x00\n"):
    if b"MESSAGE=feed outlet-a: ok" in e:
        print(" ".join(sorted(l.decode() for l in e.split(b"\n") if l.startswith((b"PRIORITY=", b"FEED=", b"URL=", b"SYSLOG_IDENTIFIER=")))))
PY
)
expect_eq "the feed's entry carries its priority, FEED= and URL=" "$entry" \
	"FEED=outlet-a PRIORITY=6 SYSLOG_IDENTIFIER=feedspool URL=file://$FIXTURES/seed-feeds/outlet-a.rss"
expect_eq "nothing went to stderr: the journal took every entry" "$(cat "$TMP/stderr")" ""
finish

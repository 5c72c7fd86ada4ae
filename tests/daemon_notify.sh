#!/bin/sh
# SPDX-License-Identifier: MIT
# `feedspool run` under a harness that plays systemd: NOTIFY_SOCKET receives READY, STATUS,
# RELOADING (on SIGHUP, then READY again) and STOPPING (on SIGTERM, then a clean exit 0); a bad
# configuration on SIGHUP is refused and the daemon keeps running. Also checks the shipped unit
# with systemd-analyze (verify, and security exposure at most 2.0) when it is installed.
. "${top_srcdir:-.}/tests/lib.sh"
need python3
SRC=${top_srcdir:-.}
grep -q '^#define HAVE_SYSTEMD 1' "${top_builddir:-.}/autoconfig.h" 2>/dev/null ||
	{ echo "SKIP: built without libsystemd" >&2; exit 77; }

cat >"$TMP/feedspool.conf" <<EOF
[feedspool]
state = state.db
spool = spool
allow_file_urls = yes
[feed seed]
url = file://$FIXTURES/seed-feeds/outlet-b.atom
EOF

# the harness: listens on NOTIFY_SOCKET, runs the daemon, signals it as messages arrive, and
# prints every message it received; bounded by a timeout of its own
cat >"$TMP/harness.py" <<'EOF'
import os, signal, socket, subprocess, sys, time
sock_path, feedspool, conf, bad = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
s.settimeout(0.2)
env = dict(os.environ, NOTIFY_SOCKET=sock_path)
p = subprocess.Popen([feedspool, "run", "-c", conf], env=env, stderr=subprocess.DEVNULL)
seen, step, deadline = [], 0, time.time() + 20
while time.time() < deadline and p.poll() is None:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        continue
    for line in msg.split("\n"):
        if line:
            seen.append(line)
            print(line, flush=True)
    if step == 0 and "READY=1" in seen:
        step = 1
        open(conf, "a").write(bad)          # a broken configuration: the reload must refuse it
        p.send_signal(signal.SIGHUP)
    elif step == 1 and seen.count("READY=1") >= 2:
        step = 2
        p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=max(1, deadline - time.time()))
except subprocess.TimeoutExpired:
    p.kill()
    rc = "timeout"
print("EXIT", rc, flush=True)
EOF
python3 "$TMP/harness.py" "$TMP/notify.sock" "$FEEDSPOOL" "$TMP/feedspool.conf" '
[feed broken
' >"$TMP/messages"
check "READY=1 is sent" grep -qx "READY=1" "$TMP/messages"
check "STATUS= carries live counters ($(grep STATUS "$TMP/messages" | head -1))" grep -q "^STATUS=.*feeds" "$TMP/messages"
check "SIGHUP sends RELOADING=1" grep -qx "RELOADING=1" "$TMP/messages"
expect_eq "READY=1 again after the (refused) reload" "$(grep -cx 'READY=1' "$TMP/messages")" 2
check "SIGTERM sends STOPPING=1" grep -qx "STOPPING=1" "$TMP/messages"
expect_eq "and the daemon exits 0" "$(sed -n 's/^EXIT //p' "$TMP/messages")" 0

if command -v systemd-analyze >/dev/null 2>&1; then
	# the unit as installed, with ExecStart pointing at this build and its man page findable
	mkdir -p "$TMP/man/man1" "$TMP/man/man5"
	cp "$SRC/src/cli/feedspool.1" "$TMP/man/man1/"
	cp "$SRC/src/config/feedspool.conf.5" "$SRC/src/sink/feedspool-spool.5" "$TMP/man/man5/"
	# (generated from etc/feedspool.service.in by make, with the configured paths)
	sed "s|^ExecStart=[^ ]*/feedspool |ExecStart=$FEEDSPOOL |" "${top_builddir:-.}/etc/feedspool.service" >"$TMP/feedspool.service"
	check "the unit's ExecStart was replaced" grep -q "^ExecStart=$FEEDSPOOL run" "$TMP/feedspool.service"
	MANPATH=$TMP/man systemd-analyze verify "$TMP/feedspool.service" >"$TMP/verify" 2>&1
	expect_eq "systemd-analyze verify passes ($(cat "$TMP/verify"))" "$?" 0
	exposure=$(systemd-analyze security --offline=true "$TMP/feedspool.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	checks=$((checks + 1))
	awk -v e="$exposure" 'BEGIN {exit !(e != "" && e <= 2.0)}' ||
		fail "the unit's exposure is '$exposure', not 2.0 or lower"
	echo "exposure: $exposure" >&2
fi
finish

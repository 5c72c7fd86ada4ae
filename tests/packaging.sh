#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages end to end (needs root and dpkg, so not part of `make check`; .ci/run runs
# it when CI=true): builds feedspool and feedspool-dev with `dpkg-buildpackage -us -uc -b` from a
# copy of the tree, runs lintian (no errors allowed), installs both with `dpkg -i`, checks what
# they hold, the unit (`systemd-analyze verify`, security exposure at most 2.0), runs the
# installed daemon as user feedspool (runuser: systemd need not be PID 1) against the fixture
# server on 127.0.0.1, and has a throwaway user in group feedspool take every article (an mbox,
# read back with Python's mailbox) while a user outside the group cannot. Purges the packages
# and removes what it created at the end. Prints a summary; exit 0 when every check passed.
top=$(cd "$(dirname "$0")/.." && pwd)
FEEDSPOOL=/usr/bin/feedspool
top_srcdir=$top
FIXTURES=$top/tests/fixtures
. "$top/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: packaging.sh installs packages: run it as root" >&2; exit 77; }
for c in dpkg-buildpackage lintian dpkg systemd-analyze python3 runuser useradd; do need $c; done
chmod 0755 "$TMP"
VERSION=$(sed -n '1s/^feedspool (\([^)]*\)).*/\1/p' "$top/debian/changelog")
READER=fsreader$$ OUTSIDER=fsout$$
had_state=no
[ -e /var/lib/feedspool ] && had_state=yes
server= daemon=
cleanup() {
	[ -n "$daemon" ] && kill $daemon 2>/dev/null
	[ -n "$server" ] && kill $server 2>/dev/null
	dpkg --purge feedspool-dev feedspool >/dev/null 2>&1
	userdel $READER 2>/dev/null
	userdel $OUTSIDER 2>/dev/null
	[ $had_state = no ] && rm -rf /var/lib/feedspool
	rm -rf "$TMP"
}
trap cleanup EXIT
summary() { echo "packaging: $*" | tee -a "$TMP/summary" >&2; }

# --- build, from a copy of the tree (dpkg-buildpackage writes into the parent directory) ------
SRC=$TMP/build/feedspool-${VERSION%-*}
mkdir -p "$SRC"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf -) | tar -C "$SRC" -xf -
else
	(cd "$top" && tar --exclude='./build*' --exclude=./.git --exclude=./demo -cf - .) | tar -C "$SRC" -xf -
fi
start=$(date +%s)
(cd "$SRC" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1
rc=$?
expect_eq "dpkg-buildpackage -us -uc -b succeeds" "$rc" 0
[ $rc = 0 ] || { tail -40 "$TMP/build.log" >&2; finish; exit 1; }
summary "dpkg-buildpackage -us -uc -b: built in $(($(date +%s) - start)) s: $(cd "$TMP/build" && ls *.deb | tr '\n' ' ')"
lintian --fail-on error "$TMP"/build/feedspool_*.changes >"$TMP/lintian.out" 2>&1
rc=$?
echo "lintian output:" >&2
sed 's/^/  /' "$TMP/lintian.out" >&2
expect_eq "lintian reports no error" "$rc" 0
summary "lintian: $(grep -c '^E:' "$TMP/lintian.out") errors, $(grep -c '^W:' "$TMP/lintian.out") warnings, $(grep -c '^I:' "$TMP/lintian.out") info"

# --- install ------------------------------------------------------------------------------------
dpkg -i "$TMP"/build/feedspool_*.deb "$TMP"/build/feedspool-dev_*.deb >"$TMP/dpkg.log" 2>&1
rc=$?
expect_eq "dpkg -i installs both packages ($(tail -3 "$TMP/dpkg.log"))" "$rc" 0
[ $rc = 0 ] || { finish; exit 1; }
check "the user feedspool exists" sh -c 'getent passwd feedspool >/dev/null'
check "the group feedspool exists" sh -c 'getent group feedspool >/dev/null'
expect_eq "the spool is there, 2770 feedspool:feedspool" "$(stat -c '%a %U:%G' /var/lib/feedspool/spool)" "2770 feedspool:feedspool"
check "the configuration is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' feedspool | grep -q '/etc/feedspool/feedspool.conf '"
check "the topic rules are conffiles" sh -c "dpkg-query -W -f='\${Conffiles}' feedspool | grep -q '/etc/feedspool/topics/dgx-spark.rules '"
expect_eq "the configuration names no feed" "$(grep -c '^\[feed ' /etc/feedspool/feedspool.conf)" 0
for f in /usr/share/feedspool/feedspool-article.schema.json /usr/lib/sysusers.d/feedspool.conf \
	/usr/lib/tmpfiles.d/feedspool.conf /usr/include/feedspool/plugin.h \
	/usr/share/doc/feedspool-dev/examples/example.c; do
	check "$f is installed" test -f "$f"
done
for p in feedspool-parse feedspool-core; do
	check "$p is installed where feedspool looks for it" test -x /usr/libexec/feedspool/$p
done
check "the installed feedspool parses" sh -c '/usr/bin/feedspool parse "$0" | grep -q "\"title\""' "$top/tests/fixtures/seed-feeds/outlet-b.atom"
check "the README is installed" test -n "$(ls /usr/share/doc/feedspool/README.md* 2>/dev/null)"
for p in topic exec lua; do
	check "the $p plugin is installed" test -n "$(dpkg -L feedspool | grep "/feedspool/$p.so$")"
done
for m in feedspool.1 feedspool.conf.5 feedspool-spool.5 feedspool-topic.5 feedspool-plugin.3; do
	check "the manual page $m is installed" test -n "$(dpkg -L feedspool feedspool-dev | grep "/$m.gz$")"
done
check "pkg-config finds feedspool-plugin" pkg-config --exists feedspool-plugin
unit=/lib/systemd/system/feedspool.service
check "the unit is installed" test -f $unit
systemd-analyze verify $unit >"$TMP/verify" 2>&1
expect_eq "systemd-analyze verify passes ($(cat "$TMP/verify"))" "$?" 0
exposure=$(systemd-analyze security --offline=true $unit 2>/dev/null |
	sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
check "the unit's exposure ($exposure) is at most 2.0" awk -v e="$exposure" 'BEGIN {exit !(e != "" && e <= 2.0)}'
check "the unit runs as feedspool" grep -qx 'User=feedspool' $unit
summary "installed with dpkg -i; systemd-analyze verify: ok; exposure $exposure"

# --- the installed daemon as user feedspool, against the fixture server ------------------------
mkdir "$TMP/feeds"
cp "$FIXTURES"/seed-feeds/outlet-a.rss "$FIXTURES"/seed-feeds/outlet-b.atom "$FIXTURES"/seed-feeds/outlet-c.rdf "$TMP/feeds/"
start_fixture_server "$TMP/feeds"
cat >"$TMP/feedspool.conf" <<EOF
[feedspool]
state = /var/lib/feedspool/state.db
spool = /var/lib/feedspool/spool
allow_private = 127.0.0.1
interval = 1h
[feed outlet-a]
url = $BASE/feed/outlet-a.rss
[feed outlet-b]
url = $BASE/feed/outlet-b.atom
[feed outlet-c]
url = $BASE/feed/outlet-c.rdf
EOF
chmod 0644 "$TMP/feedspool.conf"
runuser -u feedspool -- /usr/bin/feedspool check -c "$TMP/feedspool.conf" >"$TMP/check.out" 2>&1
expect_eq "feedspool check as user feedspool ($(tail -2 "$TMP/check.out"))" "$?" 0
runuser -u feedspool -- /usr/bin/feedspool run -c "$TMP/feedspool.conf" 2>"$TMP/run.err" &
daemon=$!
wait_for "the daemon fetches the three feeds" 60 sh -c "[ \$(grep -c ': ok' '$TMP/run.err') -ge 3 ]"
child=$(pgrep -P $daemon -x feedspool | head -1) # runuser's child: the daemon itself
runas=$(ps -o user= -p "${child:-$daemon}" | tr -d ' ')
expect_eq "the daemon (pid ${child:-?}) runs as user feedspool" "$runas" feedspool
kill -TERM "${child:-$daemon}"
wait $daemon
expect_eq "the daemon stops with 0 on SIGTERM" "$?" 0
daemon=
S=/var/lib/feedspool/spool
n=$(ls $S/new | grep -c '\.json$')
check "the daemon wrote articles ($n)" test "$n" -gt 0
expect_eq "owned by feedspool:feedspool, 0640" "$(stat -c '%U:%G %a' $S/new/* | sort -u)" "feedspool:feedspool 640"
expect_eq "new/ and cur/ are 2770" "$(stat -c '%a' $S/new $S/cur | sort -u)" 2770
summary "the installed daemon ran as user $runas and wrote $n articles into $S/new"

# --- a reader in the group takes them; one outside cannot ---------------------------------------
useradd -M -N -g nogroup -G feedspool -s /usr/sbin/nologin $READER
useradd -M -N -g nogroup -s /usr/sbin/nologin $OUTSIDER
runuser -u $OUTSIDER -- /usr/bin/feedspool take -c "$TMP/feedspool.conf" >"$TMP/outsider.out" 2>"$TMP/outsider.err"
expect_eq "a user outside the group cannot take ($(cat "$TMP/outsider.err"))" "$?:$(wc -c <"$TMP/outsider.out" | tr -d ' ')" "1:0"
runuser -u $READER -- /usr/bin/feedspool take -c "$TMP/feedspool.conf" --format mbox >"$TMP/taken.mbox" 2>"$TMP/reader.err"
expect_eq "a member of the group takes them ($(cat "$TMP/reader.err"))" "$?" 0
msgs=$(python3 -c 'import mailbox, sys; print(len(mailbox.mbox(sys.argv[1])))' "$TMP/taken.mbox")
expect_eq "as an mbox of $n messages" "$msgs" "$n"
expect_eq "new/ is empty" "$(ls $S/new | grep -c '\.json$')" 0
expect_eq "cur/ holds them" "$(ls $S/cur | grep -c '\.json$')" "$n"
summary "user $READER (group feedspool) took $msgs articles as an mbox; $OUTSIDER (not in the group) took none"
grep '^Subject:' "$TMP/taken.mbox" | head -3 | sed 's/^/packaging:   /' >&2
finish
rc=$?
summary "$checks checks, $failures failed"
exit $rc

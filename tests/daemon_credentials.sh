#!/bin/sh
# SPDX-License-Identifier: MIT
# Credentials and network per feed against the fixture server on 127.0.0.1: username +
# password_file (HTTP Basic), a systemd credential, a user:password@ URL, a proxy, a cookie file;
# the password and the URL's userinfo never reach the spool, the logs, `check`, `feeds`, OPML or
# `ctl status`; a password file others may read is refused with FILE:LINE.
. "${top_srcdir:-.}/tests/lib.sh"
need python3
need curl
need jq
need sha256sum
SEEDS=$FIXTURES/seed-feeds
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY

start_fixture_server "$SEEDS"
daemon=
trap 'kill $server $daemon 2>/dev/null; rm -rf "$TMP"' EXIT
PW=Pw-7731-s3cr3t
PW2=Cr3d-9137-other
SHA=$(printf %s "$PW" | sha256sum | cut -d' ' -f1)
SHA2=$(printf %s "$PW2" | sha256sum | cut -d' ' -f1)
D=$TMP/run
mkdir -p "$D/creds"
umask 077
printf '%s\n' "$PW" >"$D/password"
printf '%s' "$PW2" >"$D/creds/feedpw"
printf '127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123\n' >"$D/cookies.txt"
umask 022
HOSTPORT=127.0.0.1:$PORT
cat >"$D/feedspool.conf" <<EOF2
[feedspool]
state = state.db
spool = spool
allow_private = 127.0.0.1
interval = 1h
jitter = 0
[feed basic]
url = $BASE/auth/alice/$SHA/outlet-a.rss
username = alice
password_file = password
[feed userinfo]
url = http://alice:$PW@$HOSTPORT/auth/alice/$SHA/outlet-b.atom
[feed credential]
url = $BASE/auth/bob/$SHA2/outlet-c.rdf
username = bob
password_credential = feedpw
[feed proxied]
url = http://feeds.invalid/feed/outlet-c.rdf
proxy = http://puser:Proxy-5521-pw@$HOSTPORT
[feed cookied]
url = $BASE/cookie/session/abc123/outlet-a.rss
cookie_file = cookies.txt
EOF2
CONF=$D/feedspool.conf
export CREDENTIALS_DIRECTORY=$D/creds
# leaks FILE...: the files holding a password or the URL's userinfo
leaks() { grep -l -e "$PW" -e "$PW2" -e "alice:" -e "Proxy-5521-pw" "$@"; }

"$FEEDSPOOL" once -c "$CONF" 2>"$D/once.err"
expect_eq "once with every credential succeeds ($(cat "$D/once.err"))" "$?" 0
for f in basic userinfo credential proxied cookied; do
	check "feed $f is fetched ($(grep "feed $f:" "$D/once.err"))" \
		grep -Eq "^feedspool: feed $f: (ok|[0-9]+ new)" "$D/once.err"
done
count=$(ls "$D/spool/new" | grep -c '\.json$')
check "articles landed ($count)" [ "$count" -gt 0 ]
requests() { curl -s "$BASE/stats" | jq -r "$1"; }
expect_eq "the proxied feed went through the proxy" \
	"$(requests '.proxied["feeds.invalid"] // 0')" 1
expect_eq "the password-protected paths were asked" \
	"$(requests '[.requests | to_entries[] | select(.key | startswith("/auth/")) | .value] | add >= 3')" true

# feed.url of every spool file of the userinfo feed, and nothing anywhere holds a secret
urls=$(cat "$D"/spool/new/*.json | jq -r 'select(.feed.name == "userinfo") | .feed.url' | sort -u)
expect_eq "feed.url of the userinfo feed has no userinfo" "$urls" \
	"http://$HOSTPORT/auth/alice/$SHA/outlet-b.atom"
expect_eq "no spool file or log holds a secret" \
	"$(leaks "$D"/spool/new/* "$D/once.err")" ""

"$FEEDSPOOL" check -c "$CONF" >"$D/check.out" 2>&1
expect_eq "check passes ($(cat "$D/check.out"))" "$?" 0
"$FEEDSPOOL" feeds -c "$CONF" >"$D/feeds.out" 2>&1
"$FEEDSPOOL" opml export -c "$CONF" >"$D/export.opml" 2>&1
expect_eq "check, feeds and the OPML export hold no secret" \
	"$(leaks "$D/check.out" "$D/feeds.out" "$D/export.opml")" ""
check "check shows where the password comes from" grep -q "password_file=$D/password" "$D/check.out"
check "check shows the proxy without its userinfo" grep -q "proxy=http://$HOSTPORT" "$D/check.out"
check "feeds shows the URL without its userinfo" \
	grep -q "http://$HOSTPORT/auth/alice/$SHA/outlet-b.atom" "$D/feeds.out"
check "the export keeps the URL without its userinfo" \
	grep -q "xmlUrl=\"http://$HOSTPORT/auth/alice/$SHA/outlet-b.atom\"" "$D/export.opml"

# ctl status of a running daemon
"$FEEDSPOOL" run -c "$CONF" 2>"$D/run.err" &
daemon=$!
status_ok() { "$FEEDSPOOL" ctl -c "$CONF" status --json >"$D/status.json" 2>/dev/null; }
wait_for "ctl status answers" 30 status_ok
expect_eq "ctl status shows the URL without its userinfo" \
	"$(jq -r '.. | objects | select(.name? == "userinfo") | .url' "$D/status.json")" \
	"http://$HOSTPORT/auth/alice/$SHA/outlet-b.atom"
kill -TERM $daemon
wait $daemon
daemon=
expect_eq "ctl status and the daemon's log hold no secret" \
	"$(leaks "$D/status.json" "$D/run.err")" ""

# Without credentials the protected path is refused: the keys above are what authenticated.
cat >"$D/none.conf" <<EOF2
[feedspool]
state = none.db
spool = none
allow_private = 127.0.0.1
[feed basic]
url = $BASE/auth/alice/$SHA/outlet-a.rss
EOF2
"$FEEDSPOOL" once -c "$D/none.conf" 2>"$D/none.err"
check "without a password the feed gets 401 ($(cat "$D/none.err"))" grep -q "401" "$D/none.err"

# A password file others may read, or one given twice, is refused with FILE:LINE.
chmod 0644 "$D/password"
"$FEEDSPOOL" check -c "$CONF" >"$D/bad.out" 2>&1
expect_eq "check refuses a 0644 password file (exit 1)" "$?" 1
check "the error names FILE:LINE and the mode ($(cat "$D/bad.out"))" \
	grep -q "^$CONF:10: \[feed basic\] password_file: $D/password: mode 0644" "$D/bad.out"
expect_eq "the refusal does not show the password" "$(leaks "$D/bad.out")" ""
chmod 0640 "$D/password"
"$FEEDSPOOL" check -c "$CONF" >/dev/null 2>&1
expect_eq "a 0640 password file is accepted" "$?" 0
unset CREDENTIALS_DIRECTORY
"$FEEDSPOOL" check -c "$CONF" >"$D/nocred.out" 2>&1
check "a credential without \$CREDENTIALS_DIRECTORY is refused with FILE:LINE ($(cat "$D/nocred.out"))" \
	grep -q "^$CONF:16: \[feed credential\] password_credential: .*CREDENTIALS_DIRECTORY is not set" "$D/nocred.out"

[ -n "${KEEP:-}" ] && cp -r "$D" "$KEEP"
finish

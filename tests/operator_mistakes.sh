#!/bin/sh
# SPDX-License-Identifier: MIT
# Operator mistakes: an unknown key, bad values, a configuration or OPML file that cannot be
# read, a filter that cannot start, a spool or state on a read-only file system, a state database
# or spool owned by another user, and a state file that is not feedspool's database. For each:
# `feedspool check` exits 1 and `feedspool once` and `feedspool run` exit 2, all three with a
# message naming the file (and line and key where there is one), and the refused start leaves
# no trace: nothing created or changed in the directory, no request to the fixture server.
# The read-only cases run in a private mount namespace (unshare -m as root, unshare -rm
# otherwise) on a tmpfs remounted read-only; without one they are skipped. The ownership cases
# need real root (chown to uid 65534).
if [ -z "${FEEDSPOOL_TEST_NS:-}" ]; then
	if unshare -m --propagation private true 2>/dev/null; then
		FEEDSPOOL_TEST_NS=root exec unshare -m --propagation private /bin/sh "$0" "$@"
	elif unshare -rm --propagation private true 2>/dev/null; then
		FEEDSPOOL_TEST_NS=user exec unshare -rm --propagation private /bin/sh "$0" "$@"
	fi
	FEEDSPOOL_TEST_NS=none
fi
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
need curl
need timeout
need sqlite3

mkdir -p "$TMP/feeds"
cp "$FIXTURES/seed-feeds/outlet-a.rss" "$TMP/feeds/"
start_fixture_server "$TMP/feeds"
trap 'kill $server 2>/dev/null; umount "$TMP/ro" 2>/dev/null; rm -rf "$TMP"' EXIT
requests() { curl -s "$BASE/stats" | jq '[.requests[]] | add // 0'; }

# conf DIR STATE SPOOL [EXTRA LINES...]: DIR/feedspool.conf with one feed; the extra lines go to
# [feedspool] (line 4 on)
conf() {
	dir=$1 state=$2 spool=$3
	shift 3
	mkdir -p "$dir"
	{
		echo "[feedspool]"
		echo "state = $state"
		echo "spool = $spool"
		for l in "$@"; do echo "$l"; done
		echo "[feed outlet-a]"
		echo "url = $BASE/feed/outlet-a.rss"
		echo "allow_private = 127.0.0.1"
	} >"$dir/feedspool.conf"
}

# snapshot DIR: every path under DIR with its type, owner, mode, size and mtime
snapshot() {
	find "$1" -exec stat -c '%n %F %u %a %s %Y' {} + 2>/dev/null | sort
}

# refused CASE CONFIG MESSAGE: check, once and run all refuse CONFIG with MESSAGE (a fixed
# string) on stderr, and leave the configuration's directory and the server untouched
refused() {
	name=$1 cfg=$2 msg=$3 dir=$(dirname "$2")
	curl -s "$BASE/reset-stats" >/dev/null
	snapshot "$dir" >"$TMP/before"
	"$FEEDSPOOL" check -c "$cfg" >"$TMP/out" 2>"$TMP/err"
	expect_eq "$name: check exits 1 ($(cat "$TMP/err"))" "$?" 1
	checks=$((checks + 1))
	grep -qF -- "$msg" "$TMP/err" || fail "$name: check says '$msg'; it said: $(cat "$TMP/err")"
	for cmd in once run; do
		timeout 30 "$FEEDSPOOL" $cmd -c "$cfg" >"$TMP/out" 2>"$TMP/err"
		expect_eq "$name: $cmd refuses to start with 2 ($(cat "$TMP/err"))" "$?" 2
		checks=$((checks + 1))
		grep -qF -- "$msg" "$TMP/err" || fail "$name: $cmd says '$msg'; it said: $(cat "$TMP/err")"
		checks=$((checks + 1))
		! grep -q "started:" "$TMP/err" || fail "$name: $cmd said it started"
	done
	snapshot "$dir" >"$TMP/after"
	expect_eq "$name: nothing was created or changed" "$(diff "$TMP/before" "$TMP/after")" ""
	expect_eq "$name: nothing was fetched" "$(requests)" 0
}

# --- the configuration itself --------------------------------------------------------------
D=$TMP/unknown
conf "$D" state.db spool "bogus = 1"
refused "an unknown key" "$D/feedspool.conf" "$D/feedspool.conf:4: [feedspool] bogus: unknown key"
conf "$D" state.db spool "interval = 30m"
sed -i 's/^url = .*/&\nrefresh = 10m/' "$D/feedspool.conf"
refused "an unknown key in a feed" "$D/feedspool.conf" "$D/feedspool.conf:7: [feed outlet-a] refresh: unknown key"

D=$TMP/badvalue
conf "$D" state.db spool "max_pending = -3"
refused "a value out of range" "$D/feedspool.conf" \
	"$D/feedspool.conf:4: [feedspool] max_pending: \"-3\" is out of range (at least 1)"
conf "$D" state.db spool "umask = 0999"
refused "a bad umask" "$D/feedspool.conf" \
	"$D/feedspool.conf:4: [feedspool] umask: \"0999\" is not an octal umask (use 022, 027 or 077)"
conf "$D" state.db spool "max_pending = many"
refused "a word for a number" "$D/feedspool.conf" "$D/feedspool.conf:4: [feedspool] max_pending: \"many\" is not"

D=$TMP/unreadable
mkdir -p "$D/feedspool.conf"
refused "a configuration that is a directory" "$D/feedspool.conf" "$D/feedspool.conf: cannot read: Is a directory"
refused "a configuration that does not exist" "$D/missing.conf" "$D/missing.conf: cannot read: No such file or directory"

D=$TMP/opml
conf "$D" state.db spool "opml = missing.opml"
refused "a missing OPML file" "$D/feedspool.conf" \
	"$D/feedspool.conf:4: [feedspool] opml: cannot read \"$D/missing.opml\": No such file or directory"
mkdir -p "$D/dir.opml"
conf "$D" state.db spool "opml = dir.opml"
refused "an OPML file that is a directory" "$D/feedspool.conf" \
	"$D/feedspool.conf:4: [feedspool] opml: cannot read \"$D/dir.opml\": Is a directory"
printf '<opml version="2.0"><body>\n<outline xmlUrl="http://x/"\n' >"$D/broken.opml"
conf "$D" state.db spool "opml = broken.opml"
refused "an OPML file that is not XML" "$D/feedspool.conf" "$D/broken.opml:3: not well-formed XML"
rm -rf "$D/dir.opml" "$D/broken.opml"

D=$TMP/filter
conf "$D" state.db spool
printf 'function filter(a)\n\tlocal x = = 1\nend\n' >"$D/bad.lua"
printf '[filter broken]\nplugin = lua\nscript = bad.lua\n' >>"$D/feedspool.conf"
refused "a Lua script that does not compile" "$D/feedspool.conf" \
	"$D/feedspool.conf:7: filter broken: $D/bad.lua:2: unexpected symbol near '='"
conf "$D" state.db spool
printf '[filter gone]\nplugin = ./nowhere.so\n' >>"$D/feedspool.conf"
refused "a plugin that does not exist" "$D/feedspool.conf" \
	"$D/feedspool.conf:7: filter gone: $D/./nowhere.so: cannot load the plugin: No such file or directory"

# --- the state database --------------------------------------------------------------------
D=$TMP/notdb
conf "$D" state.db spool
echo "feedspool state, honest" >"$D/state.db"
refused "a state file that is not SQLite" "$D/feedspool.conf" \
	"state $D/state.db: not a SQLite database (is \`state\` the right path?)"
rm "$D/state.db"
mkdir "$D/state.db"
refused "a state path that is a directory" "$D/feedspool.conf" "state $D/state.db: not a regular file"
rmdir "$D/state.db"
sqlite3 "$D/state.db" 'CREATE TABLE contacts (name TEXT)'
refused "another program's database" "$D/feedspool.conf" \
	"state $D/state.db: not a feedspool state database (it has tables, but no schema version)"
rm "$D/state.db"
sqlite3 "$D/state.db" 'PRAGMA user_version = 99'
refused "a state database from a newer feedspool" "$D/feedspool.conf" \
	"state $D/state.db: state schema version 99 is newer than this feedspool knows"
rm "$D/state.db"
echo "x" >"$D/blocker"
conf "$D" blocker/state.db spool
refused "a state under a file" "$D/feedspool.conf" "state $D/blocker/state.db: cannot be created: $D/blocker is not a directory"

# --- ownership (real root only: chown to another uid) ----------------------------------------
if [ "$(id -u)" = 0 ] && [ "$FEEDSPOOL_TEST_NS" != user ]; then
	D=$TMP/owner
	conf "$D" state.db spool
	printf '[feedspool]\nstate = state.db\nspool = spool\n' >"$D/empty.conf"
	"$FEEDSPOOL" once -c "$D/empty.conf" 2>"$TMP/err"
	expect_eq "a start with no feed creates the state and the spool ($(cat "$TMP/err"))" "$?" 0
	rm "$D/empty.conf"
	chown 65534 "$D/state.db"
	refused "a state database owned by another user" "$D/feedspool.conf" \
		"state $D/state.db: owned by uid 65534, not by uid 0 that feedspool runs as: refused (chown it to uid 0, or run feedspool as uid 65534)"
	chown 0 "$D/state.db"
	touch "$D/state.db-wal"
	chown 65534 "$D/state.db-wal"
	refused "a write-ahead log owned by another user" "$D/feedspool.conf" \
		"state $D/state.db-wal: owned by uid 65534, not by uid 0"
	rm "$D/state.db-wal"
	chown 65534 "$D/spool/new"
	refused "a spool directory owned by another user" "$D/feedspool.conf" \
		"spool $D/spool/new: owned by uid 65534, not by uid 0 that feedspool runs as: refused"
	chown 0 "$D/spool/new"
	chown 65534 "$D/spool"
	refused "a spool owned by another user" "$D/feedspool.conf" "spool $D/spool: owned by uid 65534, not by uid 0"
	chown 0 "$D/spool"
	"$FEEDSPOOL" check -c "$D/feedspool.conf" >/dev/null 2>"$TMP/err"
	expect_eq "given back, the state and spool are fine again ($(cat "$TMP/err"))" "$?" 0
else
	echo "SKIP: the ownership cases need real root" >&2
fi

D=$TMP/spoolfile
conf "$D" state.db spool
echo x >"$D/spool"
refused "a spool that is a file" "$D/feedspool.conf" "spool $D/spool: not a directory"

# --- a warning, not an error: one URL under two names ---------------------------------------
D=$TMP/sameurl
conf "$D" state.db spool
printf '[feed again]\nurl = %s/feed/outlet-a.rss\n' "$BASE" >>"$D/feedspool.conf"
"$FEEDSPOOL" check -c "$D/feedspool.conf" >"$TMP/out" 2>"$TMP/err"
expect_eq "one URL under two names: check exits 0 ($(cat "$TMP/err"))" "$?" 0
expect_eq "one URL under two names: check warns on stderr" "$(cat "$TMP/err")" \
	"$D/feedspool.conf:7: warning: [feed again] url: the same URL as [feed outlet-a] ($D/feedspool.conf:4); both are fetched"
checks=$((checks + 1))
grep -q "^feed again " "$TMP/out" || fail "one URL under two names: both feeds are listed"

# --- read-only file systems (a private mount namespace) --------------------------------------
if [ "$FEEDSPOOL_TEST_NS" != none ] && mkdir -p "$TMP/ro" && mount -t tmpfs -o size=1m tmpfs "$TMP/ro"; then
	D=$TMP/ro
	conf "$D" state.db spool
	printf '[feedspool]\nstate = existing.db\nspool = existing\n' >"$D/empty.conf"
	"$FEEDSPOOL" once -c "$D/empty.conf" 2>"$TMP/err"
	expect_eq "a start on the tmpfs creates its state and spool ($(cat "$TMP/err"))" "$?" 0
	rm "$D/empty.conf"
	conf "$D/ex" ../existing.db ../existing
	mount -o remount,ro "$D"
	refused "a spool and state to create on a read-only file system" "$D/feedspool.conf" \
		"spool $D/spool: cannot be created in $D: Read-only file system"
	refused "a state to create on a read-only file system" "$D/feedspool.conf" \
		"state $D/state.db: cannot be created in $D: Read-only file system"
	refused "an existing spool on a read-only file system" "$D/ex/feedspool.conf" \
		"spool $D/ex/../existing: not writable: Read-only file system"
	refused "an existing state on a read-only file system" "$D/ex/feedspool.conf" \
		"state $D/ex/../existing.db: not writable: Read-only file system"
	umount "$D"
else
	echo "SKIP: no private mount namespace: the read-only cases were not run" >&2
fi
finish

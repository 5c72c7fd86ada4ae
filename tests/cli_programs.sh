#!/bin/sh
# SPDX-License-Identifier: MIT
# feedspool and the programs it becomes: feedspool loads only the C library and becomes (execv:
# the same process, named feedspool, with its arguments and standard input) feedspool-parse for
# parse and date, which loads none of the daemon's libraries, or feedspool-core for the other
# commands; every command of its help is reachable through it; and without the program a
# command needs, the command fails with a clear message.
. "${top_srcdir:-.}/tests/lib.sh"
need readelf
DIR=$(dirname "$FEEDSPOOL")
PARSE=$DIR/feedspool-parse
CORE=$DIR/feedspool-core

# needed FILE: the shared libraries FILE names, on one line
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }

# --- what each program loads -------------------------------------------------------------------
check "feedspool-parse is built beside feedspool" test -x "$PARSE"
check "feedspool-core is built beside feedspool" test -x "$CORE"
n=$(needed "$FEEDSPOOL")
expect_eq "feedspool links only the C library (and a sanitizer's runtime)" \
	"$(echo "$n" | tr ' ' '\n' | grep -v '^lib[a-z]*san\.so' | grep -v '^$' | tr '\n' ' ')" "libc.so.6 "
n=$(needed "$PARSE")
for lib in libuv libsqlite3 libpq libnats libmicrohttpd liblua libpcre2 libinih libsystemd; do
	check "feedspool-parse does not link $lib (it links: $n)" sh -c "! echo '$n' | grep -q '\\b$lib[.-]'"
done
check "feedspool-parse links libxml2 ($n)" sh -c "echo '$n' | grep -q 'libxml2\\.so'"
n=$(needed "$CORE")
check "feedspool-core links the daemon's libraries ($n)" sh -c "echo '$n' | grep -q 'libuv\\.so'"

# --- every command of the help, through feedspool ----------------------------------------------
"$FEEDSPOOL" --help >"$TMP/help" 2>&1
expect_eq "feedspool --help" "$?" 0
cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$TMP/help")
expect_eq "the help lists the commands" "$(echo $cmds)" \
	"run once check feeds state ctl opml take parse filter extract dedup date"
for c in $cmds; do
	"$FEEDSPOOL" "$c" --help >"$TMP/c.out" 2>&1
	expect_eq "feedspool $c --help ($(head -1 "$TMP/c.out"))" "$?" 0
	check "feedspool $c --help describes $c" grep -q "feedspool $c" "$TMP/c.out"
done
"$FEEDSPOOL" nosuch >"$TMP/u.out" 2>&1
expect_eq "an unknown command is a usage error" "$?" 2
check "and says so" grep -q "unknown command 'nosuch'" "$TMP/u.out"
expect_eq "--version" "$("$FEEDSPOOL" --version)" "$("$CORE" --version)"
expect_eq "--version of feedspool-parse" "$("$FEEDSPOOL" --version)" "$("$PARSE" --version)"

# --- the same process, its name, arguments and stdin --------------------------------------------
# watch CMD...: runs feedspool CMD... reading the fifo $TMP/in, and checks, while it waits for
# its input, that it became $prog with the name feedspool and its arguments; then feeds it
# $input and sets rc to its exit status
conf="$TMP/conf with space.conf"
printf '[feedspool]\nstate = %s/state.db\nspool = %s/spool\n' "$TMP" "$TMP" >"$conf"
mkfifo "$TMP/in"
watch() {
	exec 3<>"$TMP/in"
	"$FEEDSPOOL" "$@" <"$TMP/in" >"$TMP/w.out" 2>"$TMP/w.err" 3<&- &
	pid=$!
	became() { [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$prog")" ]; }
	# the name is set by the program's main(), after the loader's work: waited for too
	named() { became && [ "$(cat "/proc/$pid/comm")" = feedspool ]; }
	if wait_for "feedspool $1 becomes $(basename "$prog")" 10 became; then
		wait_for "it keeps the name feedspool (ps, pgrep: $(cat "/proc/$pid/comm"))" 10 named
		args=$(tr '\0' '|' <"/proc/$pid/cmdline")
		expect_eq "and its arguments" "$args" "$FEEDSPOOL|$(printf '%s|' "$@")"
	fi
	cat "$input" >&3
	exec 3>&-
	wait $pid
	rc=$?
}
prog=$CORE input=$FIXTURES/seed-feeds/outlet-b.atom watch filter -c "$conf" -f seed -
expect_eq "feedspool filter through feedspool ($(head -3 "$TMP/w.err"))" "$rc" 0
expect_eq "it read its standard input" "$(grep -c '"verdict"' "$TMP/w.out")" \
	"$("$FEEDSPOOL" parse "$FIXTURES/seed-feeds/outlet-b.atom" | wc -l)"
printf '2004-01-01T19:48:21Z\n' >"$TMP/date.in"
prog=$PARSE input=$TMP/date.in watch date
expect_eq "feedspool date through feedspool ($(head -3 "$TMP/w.err"))" "$rc" 0
expect_eq "it read its standard input" "$(cat "$TMP/w.out")" "2004-01-01T19:48:21Z"

# --- without the programs it becomes ------------------------------------------------------------
mkdir "$TMP/bin"
cp "$FEEDSPOOL" "$TMP/bin/feedspool"
check "a lone feedspool still answers --help" sh -c "'$TMP/bin/feedspool' --help | grep -q '^Commands:'"
for c in check parse; do
	[ $c = parse ] && p=feedspool-parse || p=feedspool-core
	# an installed program at the configured place would be found: nothing to check then
	if "$TMP/bin/feedspool" $c --help >/dev/null 2>&1; then
		echo "SKIP: $p is installed where feedspool looks last" >&2
		continue
	fi
	"$TMP/bin/feedspool" $c -c "$conf" >"$TMP/m.out" 2>&1
	expect_eq "a lone feedspool cannot run $c: 127" "$?" 127
	check "and names the program it could not run ($(cat "$TMP/m.out"))" \
		grep -q "^feedspool: $c: cannot run /.*/$p, which runs this command: No such file or directory" "$TMP/m.out"
done
finish

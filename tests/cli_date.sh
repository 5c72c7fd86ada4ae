#!/bin/sh
# SPDX-License-Identifier: MIT
# Command-line test of "feedspool date": exact output for a few lines, and its exit statuses.
# Needs FEEDSPOOL, the absolute path of the built program (automake's harness sets it).

if [ -z "$FEEDSPOOL" ] || [ ! -x "$FEEDSPOOL" ]; then
	echo "cli_date.sh: FEEDSPOOL must name the built feedspool program" >&2
	exit 99
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# $1: what is being checked; fails the test unless the files $2 and $3 are the same.
same() {
	if ! cmp -s "$2" "$3"; then
		echo "FAIL: $1: expected (<) vs actual (>):" >&2
		diff "$2" "$3" >&2
		fail=1
	fi
}

# $1: what is being checked; $2: expected status; $3: actual status.
status() {
	if [ "$3" -ne "$2" ]; then
		echo "FAIL: $1: expected exit status $2, got $3" >&2
		fail=1
	fi
}

# A CRLF line, an empty line, a line of 100000 characters, and a last line without a newline.
long=$(awk 'BEGIN { s = "x"; while (length(s) < 100000) s = s s; print substr(s, 1, 100000) }')
{
	printf 'Thu, 01 Jan 2004 19:48:21 GMT\n'
	printf '2003-12-31T10:14:55-08:00\r\n'
	printf 'Sun, 31 Feb 2004 10:00:00 GMT\n'
	printf '\n'
	printf '2003-12-31T25:14:55Z\n'
	printf '%s\n' "$long"
	printf 'Mon, 26 January 2004 16:31:00 PT\n'
	printf '2004-07-08 23:56:58.0'
} >"$tmp/in"
# the CRLF line loses its \r; the last line gets its newline
printf '%s\n' 2004-01-01T19:48:21Z 2003-12-31T18:14:55Z '' '' '' '' \
	2004-01-27T00:31:00Z 2004-07-08T23:56:58Z >"$tmp/want"
"$FEEDSPOOL" date <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
status "date with invalid lines" 1 $?
same "date output" "$tmp/want" "$tmp/out"
same "date stderr" /dev/null "$tmp/err"

printf 'Sat, 07 Sep 2002 00:00:01 GMT\n' | "$FEEDSPOOL" date >"$tmp/out"
status "date with valid lines only" 0 $?
printf '2002-09-07T00:00:01Z\n' >"$tmp/want"
same "date of one line" "$tmp/want" "$tmp/out"

"$FEEDSPOOL" date </dev/null >"$tmp/out"
status "date of no input" 0 $?
same "date of no input" /dev/null "$tmp/out"

for opt in --help -h; do
	"$FEEDSPOOL" date "$opt" </dev/null >"$tmp/out" 2>"$tmp/err"
	status "date $opt" 0 $?
	grep -qi '^usage: feedspool date' "$tmp/out" || {
		echo "FAIL: date $opt: no usage on stdout" >&2
		fail=1
	}
	same "date $opt stderr" /dev/null "$tmp/err"
done

"$FEEDSPOOL" date --bogus </dev/null >"$tmp/out" 2>"$tmp/err"
status "date --bogus" 2 $?
same "date --bogus stdout" /dev/null "$tmp/out"
[ -s "$tmp/err" ] || {
	echo "FAIL: date --bogus: no message on stderr" >&2
	fail=1
}

exit $fail

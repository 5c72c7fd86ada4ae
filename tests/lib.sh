# SPDX-License-Identifier: MIT
# Shared helpers for the shell tests, run by automake's harness with FEEDSPOOL and FIXTURES set.
# Exit codes: 0 pass, 1 fail, 77 skip, 99 hard error.

: "${FEEDSPOOL:?FEEDSPOOL must name the feedspool binary}"
: "${FIXTURES:=$(dirname "$0")/fixtures}"

failures=0
checks=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/feedspool-test.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT

# fail MESSAGE: records a failure, naming what was expected.
fail() {
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}

# check DESCRIPTION COMMAND...: runs the command, fails when it fails.
check() {
	desc=$1
	shift
	checks=$((checks + 1))
	if ! "$@"; then
		fail "$desc"
	fi
}

# expect_eq DESCRIPTION ACTUAL EXPECTED
expect_eq() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		fail "$1: expected '$3', got '$2'"
	fi
}

# sanitized: true in an ASan/TSan build, whose shadow memory makes peak RSS meaningless
sanitized() {
	[ -n "${FEEDSPOOL_SANITIZED:-}" ] || ldd "$FEEDSPOOL" 2>/dev/null | grep -q 'lib[at]san'
}

# start_fixture_server ROOT: starts tests/fixture_server.py on 127.0.0.1 serving ROOT and waits
# for its port: sets server (its pid), PORT and BASE. Exits 99 when it does not start. The
# caller's EXIT trap kills $server.
start_fixture_server() {
	python3 "${top_srcdir:-.}/tests/fixture_server.py" --root "$1" >"$TMP/server.out" \
		2>"$TMP/server.err" <&- &
	server=$!
	_i=0
	while ! grep -q '^PORT ' "$TMP/server.out" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -ge 600 ] || ! kill -0 $server 2>/dev/null; then
			echo "the fixture server did not start: $(cat "$TMP/server.err")" >&2
			kill $server 2>/dev/null
			exit 99
		fi
		sleep 0.05 # polling for the port line, not timing a race
	done
	PORT=$(sed -n 's/^PORT //p' "$TMP/server.out" | head -1)
	BASE=http://127.0.0.1:$PORT
}

# seed_conf FILE STATE SPOOL: writes a configuration of the three seed feeds (file:// URLs)
seed_conf() {
	{
		printf '[feedspool]\nstate = %s\nspool = %s\nallow_file_urls = yes\n' "$2" "$3"
		for _s in outlet-a.rss outlet-b.atom outlet-c.rdf; do
			printf '[feed %s]\nurl = file://%s/%s\n' "${_s%%.*}" "$FIXTURES/seed-feeds" "$_s"
		done
	} >"$1"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls the command until it succeeds; fails (and
# returns 1) when it has not within SECONDS. Polling for a condition, not timing a race.
wait_for() {
	_desc=$1 _limit=$(($2 * 20)) _n=0
	shift 2
	until "$@"; do
		_n=$((_n + 1))
		[ $_n -lt $_limit ] || { fail "$_desc (not within $((_limit / 20)) s)"; return 1; }
		sleep 0.05
	done
}

# poll_until DESCRIPTION SECONDS COMMAND...: wait_for with a wall-clock limit, for a command that
# itself takes a while (reading a stream, querying a database); polling for a condition, not
# timing a race
poll_until() {
	_desc=$1 _lim=$2 _end=$((SECONDS + $2))
	shift 2
	until "$@"; do
		[ $SECONDS -lt $_end ] || { fail "$_desc (not within $_lim s)"; return 1; }
		sleep 0.2
	done
}

# expect_renderings PREFIX EXPECTED_DIR DIR: each EXPECTED_DIR/*.txt has a byte-for-byte equal
# file among DIR/*.txt (one check per expected file, described after PREFIX).
expect_renderings() {
	for _want in "$2"/*.txt; do
		_found=no
		for _got in "$3"/*.txt; do
			cmp -s "$_want" "$_got" && { _found=yes; break; }
		done
		expect_eq "$1the spool holds $(basename "$_want") byte for byte" "$_found" yes
	done
}

# kill_once_randomly CONF ERRFILE SEED MAX_SECONDS: runs `feedspool once -c CONF` (its stderr
# appended to ERRFILE) and SIGKILLs it at a random instant within MAX_SECONDS, drawn from SEED
# (so a failing run can be repeated); returns when it is gone.
kill_once_randomly() {
	"$FEEDSPOOL" once -c "$1" >/dev/null 2>>"$2" &
	_pid=$!
	sleep "$(awk -v s="$3" -v m="$4" 'BEGIN {srand(s); printf "%.3f", rand() * m}')"
	kill -9 $_pid 2>/dev/null
	wait $_pid 2>/dev/null
}

# grow_feeds DIR FEEDS ITEMS [CHANGED]: writes DIR/f1.xml ... DIR/fFEEDS.xml, RSS feeds of ITEMS
# items each, the newest (highest number) on top, so that a larger ITEMS adds new items on top as
# feeds grow; item 1's text ends with CHANGED when given (a changed item, for revisions). Each
# file is replaced by a rename, so that a server never serves a half-written one.
grow_feeds() {
	awk -v feeds="$2" -v n="$3" -v changed="${4:-}" -v dir="$1" 'BEGIN {
		for (f = 1; f <= feeds; f++) {
			out = dir "/f" f ".xml.new"
			print "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>" > out
			print "<title>Feed " f "</title><link>https://feed" f ".example/</link>" > out
			for (i = n; i >= 1; i--) {
				words = ""
				for (w = i * 7 + f; w <= i * 7 + f + 40; w++) words = words "word" w " "
				if (i == 1) words = words changed
				print "<item><title>Story " f "." i "</title><link>https://feed" f ".example/story/" i "</link>" > out
				print "<guid>feed" f "-" i "</guid><description>&lt;p&gt;Story " i " of feed " f ": " words "&lt;/p&gt;</description></item>" > out
			}
			print "</channel></rss>" > out
			close(out)
		}
	}' || return 1
	python3 -c 'import glob, os, sys
for p in glob.glob(os.path.join(glob.escape(sys.argv[1]), "f*.xml.new")):
    os.replace(p, p[:-4])' "$1"
}

need() {
	command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed" >&2; exit 77; }
}

# validate_spool_files: every article JSON file left under $TMP (in a spool's new/ or cur/)
# must match etc/feedspool-article.schema.json; one check, when python3-jsonschema is there.
# A test that leaves invalid files there on purpose sets NO_SCHEMA_CHECK=1.
validate_spool_files() {
	[ -z "${NO_SCHEMA_CHECK:-}" ] && [ -d "$TMP" ] || return 0
	python3 -c 'import jsonschema' 2>/dev/null || return 0
	find "$TMP" -type f \( -path '*/new/*' -o -path '*/cur/*' \) -name '[0-9a-f]*.json' \
		-print0 >"$TMP/.spool-files" 2>/dev/null
	[ -s "$TMP/.spool-files" ] || return 0
	xargs -0 python3 "${top_srcdir:-.}/tests/tools/validate_articles.py" \
		"${top_srcdir:-.}/etc/feedspool-article.schema.json" <"$TMP/.spool-files" >"$TMP/.schema.out" 2>&1
	_rc=$?
	checks=$((checks + 1))
	[ $_rc -eq 0 ] || fail "spool files that do not match the article schema: $(head -5 "$TMP/.schema.out")"
}

finish() {
	validate_spool_files
	echo "$checks checks, $failures failed" >&2
	[ "$checks" -gt 0 ] || exit 99
	[ "$failures" -eq 0 ]
}

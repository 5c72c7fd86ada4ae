#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile servers at the daemon level (tests/fixture_server.py on 127.0.0.1): a gzip bomb (chunked
# and with a Content-Length), an endless chunked body, a trickle below the low-speed limit, a
# redirect loop and a redirect chain too long, a redirect to ftp://, 1 MB of headers (many lines,
# then one line), a reset mid-body (also one that comes before the client has read the data), a
# Content-Length shorter and longer than the body, TLS to the plain-HTTP port. Each ends its
# feed's fetch with a precise error in the log and in `feedspool feeds`, with one failure and a
# backoff, then two failures and a longer backoff; the seed feeds served beside them land exactly
# once; `once` exits 1 naming the failed feeds; the daemon's peak memory stays bounded.
. "${top_srcdir:-.}/tests/lib.sh"
need python3
need curl
SEEDS=$FIXTURES/seed-feeds
# only our own server, never a proxy from the environment
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY
no_proxy='*'
export no_proxy

start_fixture_server "$SEEDS"
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
# the bomb takes seconds to build: before the daemon asks for it, not inside its timeout
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 180 "$BASE/bomb?prepare=1&wait=1")
[ "$code" = 204 ] || { echo "the fixture server could not build the bomb ($code)" >&2; exit 99; }

# Every run is bounded even if the daemon hangs (the harness would wait forever).
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout 300"
# Peak memory, unless a sanitizer's shadow memory would be counted.
MEASURE=yes
sanitized && MEASURE=no
[ -x /usr/bin/time ] || MEASURE=no

# The hostile feeds: name, URL, the exact error (a '*' at the end: a prefix). Limits come from the
# configuration below; the one feed that needs the low-speed limit gets it alone, so that a loaded
# machine cannot make a good feed "too slow".
BOMB_LEN=$(curl -s --max-time 60 -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: identity' "$BASE/bomb?length=1")
cat >"$TMP/cases" <<EOF
bomb|$BASE/bomb|body larger than the 2 MiB cap after decompression (gzip)
bomb-length|$BASE/bomb?length=1|body larger than the 2 MiB cap after decompression (gzip)
endless|$BASE/endless|body larger than the 1 MiB cap
trickle|$BASE/slow?n=100&ms=200&feed=1|too slow: below 1024 bytes/s for 2 s
loop|$BASE/loop|redirect loop: redirected back to $BASE/loop
chain|$BASE/redirect/302/redirect/302/redirect/302/redirect/302/redirect/302/redirect/302/feed/outlet-a.rss|too many redirects (more than 5)
ftp|$BASE/scheme|redirect to ftp://127.0.0.1/ refused: only http and https are followed
headers|$BASE/headers|response headers larger than 256 KiB
header-line|$BASE/headers?line=1|a response header line longer than curl's limit of 100 KiB
reset|$BASE/reset|connection reset by the server mid-body after 1000 of the 100000 bytes announced
reset-at-once|$BASE/reset?now=1|connection reset by the server mid-body after 1000 of the 100000 bytes announced
short-body|$BASE/badlength|Content-Length mismatch: the server closed the connection after 1000 of the 100000 bytes announced
long-body|$BASE/badlength?long=1|Content-Length mismatch: the server sent more than the 1000 bytes announced
tls|https://127.0.0.1:$PORT/feed/outlet-a.rss|TLS handshake failed: *
EOF
# the bomb is real: its compressed body fits under the cap the feed has, 1 GiB does not
checks=$((checks + 1))
[ "${BOMB_LEN:-0}" -gt 0 ] && [ "$BOMB_LEN" -lt $((2 * 1024 * 1024)) ] ||
	fail "the bomb's compressed body ($BOMB_LEN bytes) should be under the 2 MiB cap"

mkdir -p "$TMP/d"
{
	cat <<EOF
[feedspool]
state = state.db
spool = spool
allow_private = 127.0.0.1
format = json+text
interval = 30m
jitter = 0
max_backoff = 1d
timeout = 60s
connect_timeout = 30s
max_bytes = 1M
max_per_host = 32
[feed outlet-a]
url = $BASE/feed/outlet-a.rss
[feed outlet-b]
url = $BASE/gzip/outlet-b.atom
[feed outlet-c]
url = $BASE/feed/outlet-c.rdf
EOF
	while IFS='|' read -r name url want; do
		printf '[feed %s]\nurl = %s\n' "$name" "$url"
		case $name in
		bomb*) echo "max_bytes = 2M" ;;
		trickle) printf 'low_speed_limit = 1K\nlow_speed_time = 2s\n' ;;
		esac
	done <"$TMP/cases"
} >"$TMP/d/feedspool.conf"
CONF=$TMP/d/feedspool.conf

# once N: one pass, its log in $TMP/onceN.err and its peak RSS (KiB) in $TMP/rssN
once() {
	if [ $MEASURE = yes ]; then
		$TIMEOUT /usr/bin/time -f '%M' -o "$TMP/rss$1" "$FEEDSPOOL" once -c "$CONF" 2>"$TMP/once$1.err"
	else
		$TIMEOUT "$FEEDSPOOL" once -c "$CONF" 2>"$TMP/once$1.err"
	fi
}
block() { awk -v n="$1" '$0 == n {p = 1; next} /^[^ ]/ {p = 0} p' "$TMP/feeds$2"; }
field() { block "$1" "$3" | sed -n "s/^  $2 *//p"; }
epoch() { date -u -d "$1" +%s 2>/dev/null || echo "?"; }

# pass N FAILURES: the checks after each pass
pass() {
	n=$1
	failures_want=$2
	if [ "$failures_want" = 1 ]; then reason="backoff: 1 failure"; else reason="backoff: $failures_want failures"; fi
	delay=$((1800 << (failures_want - 1)))
	"$FEEDSPOOL" feeds -c "$CONF" >"$TMP/feeds$n"
	rc=$?
	expect_eq "pass $n: feeds exits 1 (hostile feeds are failing)" "$rc" 1
	while IFS='|' read -r name url want; do
		case $want in
		*'*') prefix=${want%\*} ;;
		*) prefix= ;;
		esac
		# (1) the log line names the feed and gives the cause
		line=$(grep -F "feed $name: error: " "$TMP/once$n.err")
		if [ -n "$prefix" ]; then
			case $line in
			"feedspool: feed $name: error: $prefix"*" ("*" s)") ok=yes ;;
			*) ok=no ;;
			esac
			expect_eq "pass $n, $name: log line starts with '$prefix' ($line)" "$ok" yes
		else
			case $line in
			"feedspool: feed $name: error: $want ("*" s)") ok=yes ;;
			*) ok=no ;;
			esac
			expect_eq "pass $n, $name: log line gives '$want' ($line)" "$ok" yes
		fi
		expect_eq "pass $n, $name: exactly one log line" "$(grep -c -F "feed $name: " "$TMP/once$n.err")" 1
		# (2) feeds: the same cause, the failures, the backoff
		last=$(field "$name" last "$n")
		result=${last#*Z: }
		if [ -n "$prefix" ]; then
			case $result in
			"error: $prefix"*) ok=yes ;;
			*) ok=no ;;
			esac
			expect_eq "pass $n, $name: feeds shows '$prefix...' ($result)" "$ok" yes
		else
			expect_eq "pass $n, $name: feeds shows the cause" "$result" "error: $want"
		fi
		# the log and the table tell the same thing
		expect_eq "pass $n, $name: log and table agree" "${line#feedspool: feed $name: }" "$result (${line##* (}"
		expect_eq "pass $n, $name: consecutive failures" "$(field "$name" failures "$n")" "$failures_want"
		next=$(field "$name" next "$n")
		expect_eq "pass $n, $name: next due for a backoff" "${next#* }" "($reason)"
		t_last=$(epoch "${last%%Z: *}Z")
		t_next=$(epoch "${next%% *}")
		expect_eq "pass $n, $name: backed off by $delay s ($last / $next)" "$((t_next - t_last))" "$delay"
	done <"$TMP/cases"
}

# --- pass 1 -----------------------------------------------------------------------------------
once 1
rc=$?
expect_eq "pass 1: once exits 1 when feeds failed ($(tail -1 "$TMP/once1.err"))" "$rc" 1
pass 1 1
# the trickle was cut by the low-speed check, after its 2 s window, not at once
secs=$(sed -n 's/^feedspool: feed trickle: .* (\([0-9.]*\) s)$/\1/p' "$TMP/once1.err")
checks=$((checks + 1))
awk -v s="${secs:-0}" 'BEGIN { exit !(s >= 1.9) }' || fail "pass 1: the trickle ended after ${secs:-?} s, before the 2 s low-speed window"
# (4) the summary names exactly the failed feeds
summary=$(tail -1 "$TMP/once1.err")
names=$(cut -d'|' -f1 "$TMP/cases" | tr '\n' ',' | sed 's/,$//; s/,/, /g')
total=$(($(wc -l <"$TMP/cases") + 3))
articles=$(ls "$SEEDS"/expected/*.txt | wc -l | tr -d ' ')
expect_eq "pass 1: the summary names the failed feeds" "${summary%%; *}" \
	"feedspool: $total feeds, $((total - 3)) failed ($names)"
expect_eq "pass 1: the summary counts the seed feeds' articles" "$(echo "${summary#*; }" | cut -d, -f1)" "$articles new"
# (3) the seed feeds, unaffected: exactly their articles, byte for byte
for good in outlet-a outlet-b outlet-c; do
	expect_eq "pass 1, $good: its fetch succeeded" "$(field $good failures 1)" 0
	checks=$((checks + 1))
	case $(field $good last 1) in
	*"Z: ok: "*) ;;
	*) fail "pass 1, $good: last result is not ok: $(field $good last 1)" ;;
	esac
done
expect_eq "pass 1: one article per expected rendering in new/" "$(ls "$TMP/d/spool/new" | grep -c '\.json$')" "$articles"
expect_eq "pass 1: as many text renderings" "$(ls "$TMP/d/spool/new" | grep -c '\.txt$')" "$articles"
expect_eq "pass 1: tmp/ is empty" "$(ls "$TMP/d/spool/tmp" | wc -l | tr -d ' ')" 0
expect_renderings "pass 1: " "$SEEDS/expected" "$TMP/d/spool/new"
snapshot() { (cd "$TMP/d/spool/new" && stat -c '%n %s %Y %i' *) | sort; }
snapshot >"$TMP/new1"

# --- pass 2: the same failures again, a longer backoff, still no duplicates --------------------
once 2
rc=$?
expect_eq "pass 2: once exits 1 again ($(tail -1 "$TMP/once2.err"))" "$rc" 1
pass 2 2
expect_eq "pass 2: the summary names the same feeds" "$(tail -1 "$TMP/once2.err")" \
	"feedspool: $total feeds, $((total - 3)) failed ($names); 0 new, 0 duplicate, 0 dropped"
for good in outlet-a outlet-b outlet-c; do
	expect_eq "pass 2, $good: no failure" "$(field $good failures 2)" 0
	expect_eq "pass 2, $good: not modified" "$(field $good last 2 | sed 's/^.*Z: //')" "not modified"
done
snapshot >"$TMP/new2"
check "pass 2: new/ is exactly as pass 1 left it (no duplicates, nothing rewritten)" cmp -s "$TMP/new1" "$TMP/new2"

# --- memory ------------------------------------------------------------------------------------
if [ $MEASURE = yes ]; then
	for n in 1 2; do
		kb=$(tail -1 "$TMP/rss$n")
		echo "pass $n: peak RSS $kb KiB" >&2
		checks=$((checks + 1))
		# a 1 GiB bomb, an endless body and 1 MB of headers: nothing may be held beyond the caps
		[ "$kb" -lt $((48 * 1024)) ] || fail "pass $n: peak memory $kb KiB is not under 48 MiB"
	done
else
	echo "peak memory not measured (sanitizer build or no /usr/bin/time)" >&2
fi
kill -0 $server 2>/dev/null || fail "the fixture server died: $(cat "$TMP/server.err")"
finish

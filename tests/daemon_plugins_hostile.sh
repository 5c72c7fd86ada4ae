#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile filter plugins at the daemon level. `feedspool run` with a chain of misbehaving filters:
# a C plugin (tests/plugins/garbage.c) that returns verdicts out of the enum, completes twice,
# uses stale handles, never answers, hands over garbage annotations and forges log lines; an exec
# co-process that floods its stdout and one that never answers; a Lua script that loops and one
# that allocates without end. Each case must be logged with the filter's name and the cause, the
# article's fate must follow the filter's on_error, the rest of the chain must still run (the
# last filter puts a "chain-end" topic on every article it sees), the good feed must land whole,
# and the daemon must keep running and stop with 0 on SIGTERM. Then `feedspool once` with the
# exec filters at on_error = drop: the hostile article is dropped, the ones before it land.
# The co-processes and scripts are written below, for this test.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
need curl
GARBAGE=${TEST_PLUGIN_DIR:-}/garbage.so
[ -f "$GARBAGE" ] || { echo "SKIP: $GARBAGE is not built" >&2; exit 77; }
mkdir -p "$TMP/feeds" "$TMP/a"

# mkfeed NAME TITLE...: an RSS document with one item per title, in that order
mkfeed() {
	name=$1
	shift
	{
		echo '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
		echo "<title>$name</title><link>https://$name.example/</link>"
		n=0
		for t in "$@"; do
			n=$((n + 1))
			echo "<item><title>$t</title><link>https://$name.example/$n</link>"
			echo "<guid>$name-$n</guid><description>Story $n of $name: $t.</description></item>"
		done
		echo '</channel></rss>'
	} >"$TMP/feeds/$name.xml"
}

# id_of FEED TITLE: the id feedspool gives the item with that title
id_of() {
	"$FEEDSPOOL" parse --url "$BASE/feed/$1.xml" "$TMP/feeds/$1.xml" |
		jq -r --arg t "$2" 'select(.title == $t) | .id'
}

logged() { grep -qF -- "$2" "$1"; }

start_fixture_server "$TMP/feeds"
daemon=
trap 'kill $server $daemon 2>/dev/null; rm -rf "$TMP"' EXIT

# --- the co-processes and scripts ------------------------------------------------------------
# flood.sh: keeps everything, but answers the article titled "flood" with an endless line
cat >"$TMP/a/flood.sh" <<'EOF'
#!/bin/sh
while IFS= read -r line; do
	case $line in
	*'"title":"flood"'*) yes | tr -d '\n' ;;
	esac
	echo '{"verdict":"keep"}'
done
EOF
# silent.sh: keeps everything, but at the article titled "silent" stops answering for good,
# deaf to SIGTERM and to the end of its input
cat >"$TMP/a/silent.sh" <<'EOF'
#!/bin/sh
trap '' TERM
while IFS= read -r line; do
	case $line in
	*'"title":"silent"'*) exec sleep 3600 ;;
	esac
	echo '{"verdict":"keep"}'
done
EOF
chmod +x "$TMP/a/flood.sh" "$TMP/a/silent.sh"
cat >"$TMP/a/ldrop.lua" <<'EOF'
-- loops without end on "ldrop: loop"
function filter(a)
	if a.title == "ldrop: loop" then
		while true do end
	end
	return "keep"
end
EOF
cat >"$TMP/a/lkeep.lua" <<'EOF'
-- allocates without end on "lkeep: alloc"
function filter(a)
	if a.title == "lkeep: alloc" then
		local t, s = {}, "x"
		while true do s = s .. s; t[#t + 1] = s end
	end
	return "keep"
end
EOF
cat >"$TMP/a/last.lua" <<'EOF'
-- the end of the chain: marks every article that got this far
function filter(a)
	return "keep", {{name = "chain-end"}}
end
EOF

# --- phase A: `run` with every hostile filter --------------------------------------------------
mkfeed good "good 1" "good 2" "good 3" "good 4" "good 5"
mkfeed hostile "plain 1" "gdrop: verdict 42" "gkeep: verdict 42" "gdrop: verdict -1" \
	"gdrop: complete pending" "gdrop: twice" "gdrop: late twice" "plain 2" "gdrop: stale" \
	"gdrop: never" "gkeep: never" "gdrop: bad annotations" "gdrop: forged log" "flood" "silent" \
	"ldrop: loop" "lkeep: alloc" "plain 3"
cat >"$TMP/a/feedspool.conf" <<EOF
[feedspool]
state = state.db
spool = spool
allow_private = 127.0.0.1
near_duplicates = no
interval = 30m
jitter = 0
[feed good]
url = $BASE/feed/good.xml
[feed hostile]
url = $BASE/feed/hostile.xml
[filter gdrop]
plugin = $GARBAGE
on_error = drop
answer_timeout = 1s
prefix = gdrop
[filter gkeep]
plugin = $GARBAGE
on_error = keep
answer_timeout = 1s
prefix = gkeep
[filter flood]
plugin = exec
command = ./flood.sh
max_line = 64k
on_error = keep
[filter silent]
plugin = exec
command = ./silent.sh
timeout = 1s
on_error = keep
[filter ldrop]
plugin = lua
script = ldrop.lua
on_error = drop
[filter lkeep]
plugin = lua
script = lkeep.lua
memory = 4M
on_error = keep
[filter last]
plugin = lua
script = last.lua
EOF
"$FEEDSPOOL" check -c "$TMP/a/feedspool.conf" >"$TMP/a/check.out" 2>&1
expect_eq "the hostile chain is a valid configuration ($(cat "$TMP/a/check.out"))" "$?" 0
check "check shows answer_timeout" grep -q "answer_timeout=1s" "$TMP/a/check.out"

"$FEEDSPOOL" run -c "$TMP/a/feedspool.conf" 2>"$TMP/a/run.err" &
daemon=$!
wait_for "feed good is done" 60 logged "$TMP/a/run.err" "feed good: ok:"
wait_for "feed hostile is done" 60 logged "$TMP/a/run.err" "feed hostile: ok:"
check "the daemon still runs after every incident" kill -0 $daemon

LOG=$TMP/a/run.err
# logged DESCRIPTION TEXT: the log holds TEXT
expect_log() {
	checks=$((checks + 1))
	grep -qF -- "$2" "$LOG" || fail "$1: the log lacks '$2'"
}
expect_log "an out-of-range verdict, on_error = drop" \
	"filter gdrop: invalid verdict 42, counted as an error (article $(id_of hostile "gdrop: verdict 42"), on_error = drop)"
expect_log "an out-of-range verdict, on_error = keep" \
	"filter gkeep: invalid verdict 42, counted as an error (article $(id_of hostile "gkeep: verdict 42"), on_error = keep)"
expect_log "a negative verdict" \
	"filter gdrop: invalid verdict -1, counted as an error (article $(id_of hostile "gdrop: verdict -1"), on_error = drop)"
expect_log "complete() with PENDING" \
	"filter gdrop: complete() with FEEDSPOOL_PENDING, which is no answer: counted as an error (article $(id_of hostile "gdrop: complete pending")"
expect_log "complete() twice from inside filter()" "filter gdrop: complete() called twice for one article"
expect_log "complete() after the call is over" \
	"filter gdrop: complete() for an article whose call is over (answered, abandoned or timed out): ignored"
expect_log "annotate_tag() after the call is over" \
	"filter gdrop: annotate_tag() for an article whose call is over (answered, abandoned or timed out): ignored"
expect_log "no answer, on_error = drop" \
	"filter gdrop: no answer for article $(id_of hostile "gdrop: never") within 1000 ms (answer_timeout): counted as an error (on_error = drop)"
expect_log "no answer, on_error = keep" \
	"filter gkeep: no answer for article $(id_of hostile "gkeep: never") within 1000 ms (answer_timeout): counted as an error (on_error = keep)"
expect_log "a NULL, empty or oversized tag" "filter gdrop: annotate_tag(): invalid tag: ignored"
expect_log "a non-finite score or a NULL topic" "filter gdrop: annotate_topic(): invalid topic, score or phrases: ignored"
expect_log "a NULL or empty matched phrase" "filter gdrop: annotate_topic(): invalid matched phrase: ignored"
expect_log "a plugin's message stays on one line" "feedspool: filter gdrop: first line feedspool: FORGED second line"
checks=$((checks + 1))
! grep -q '^feedspool: FORGED' "$LOG" || fail "a plugin forged a log line"
expect_log "the exec flood" "filter flood: the co-process wrote a line longer than max_line (65536)"
expect_log "the flooding co-process is replaced" "(its answers cannot be resynchronised); restarting in"
expect_log "the exec co-process that never answers" "filter silent: no answer within 1000 ms"
expect_log "the Lua loop" "instruction budget exhausted"
checks=$((checks + 1))
grep -q '^feedspool: filter ldrop: .*instruction budget exhausted' "$LOG" || fail "the Lua loop is logged under filter ldrop"
checks=$((checks + 1))
grep -q '^feedspool: filter lkeep: .*memory limit exhausted (memory = 4194304 bytes)' "$LOG" ||
	fail "the Lua allocation is logged under filter lkeep"

# fates: dropped where on_error = drop, kept where on_error = keep, and the chain's end reached
jq -r .title "$TMP"/a/spool/new/*.json | sort >"$TMP/a/landed"
printf '%s\n' "good 1" "good 2" "good 3" "good 4" "good 5" "plain 1" "plain 2" "plain 3" \
	"gkeep: verdict 42" "gdrop: twice" "gdrop: late twice" "gdrop: stale" "gkeep: never" \
	"gdrop: bad annotations" "gdrop: forged log" "flood" "silent" "lkeep: alloc" | sort >"$TMP/a/want"
expect_eq "exactly the articles whose fate is keep landed" \
	"$(diff "$TMP/a/want" "$TMP/a/landed" | grep '^[<>]' | tr '\n' ' ')" ""
expect_eq "every landed article went through the whole chain" \
	"$(jq -r 'select([.topics[].name] | index("chain-end") | not) | .title' "$TMP"/a/spool/new/*.json)" ""
A=$TMP/a/spool/new/$(id_of hostile "gdrop: bad annotations").json
expect_eq "the valid tag of the garbage annotations is kept" "$(jq -r '.tags | index("valid-tag") != null' "$A")" true
expect_eq "at most 64 tags, none empty or over 256 bytes" \
	"$(jq -r '[.tags | length <= 64, all(.[]; length > 0 and length <= 256)] | all' "$A")" true
expect_eq "no invalid topic was added" "$(jq -r '[.topics[].name] | map(select(. != "chain-end")) | length' "$A")" 0
expect_eq "a stale handle annotated nothing" "$(jq -r 'select(.tags | index("stale-tag")) | .title' "$TMP"/a/spool/new/*.json)" ""

kill -TERM $daemon
i=0
while kill -0 $daemon 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 400 ] || { fail "the daemon did not stop within 20 s of SIGTERM"; kill -9 $daemon; break; }
	sleep 0.05
done
wait $daemon
expect_eq "SIGTERM stops the daemon with 0" "$?" 0
daemon=
check "it says it stopped" grep -q "feedspool: stopped" "$LOG"
for pid in $(sed -n 's/^feedspool: filter [a-z]*: started co-process .* (pid \([0-9]*\))$/\1/p' "$LOG"); do
	checks=$((checks + 1))
	! kill -0 "$pid" 2>/dev/null || fail "co-process $pid outlived the daemon"
done
"$FEEDSPOOL" feeds -c "$TMP/a/feedspool.conf" >"$TMP/a/feeds.out"
checks=$((checks + 1))
grep -Eq '^  gdrop +kept [0-9]+, dropped 0, errors 4,' "$TMP/a/feeds.out" &&
	grep -Eq '^  gkeep +kept [0-9]+, dropped 0, errors 2,' "$TMP/a/feeds.out" &&
	grep -Eq '^  ldrop +kept [0-9]+, dropped 0, errors 1,' "$TMP/a/feeds.out" &&
	grep -Eq '^  lkeep +kept [0-9]+, dropped 0, errors 1,' "$TMP/a/feeds.out" ||
	fail "the filter counters count each error once: $(cat "$TMP/a/feeds.out")"

# --- phase B: `once`, exec filters with on_error = drop ---------------------------------------
# the hostile article comes last, so the ones before it are answered before the incident
for kind in flood silent; do
	mkdir -p "$TMP/b-$kind"
	cp "$TMP/a/$kind.sh" "$TMP/b-$kind/"
	mkfeed "b-$kind" "$kind good 1" "$kind good 2" "$kind"
	cat >"$TMP/b-$kind/feedspool.conf" <<EOF
[feedspool]
state = state.db
spool = spool
allow_private = 127.0.0.1
near_duplicates = no
[feed b-$kind]
url = $BASE/feed/b-$kind.xml
[filter $kind]
plugin = exec
command = ./$kind.sh
max_line = 64k
timeout = 1s
on_error = drop
EOF
	"$FEEDSPOOL" once -c "$TMP/b-$kind/feedspool.conf" 2>"$TMP/b-$kind/once.err"
	expect_eq "once with the $kind co-process exits 0 ($(tr '\n' ' ' <"$TMP/b-$kind/once.err"))" "$?" 0
	expect_eq "$kind, on_error = drop: the articles before it land, it does not" \
		"$(jq -r .title "$TMP/b-$kind"/spool/new/*.json | sort | tr '\n' '|')" "$kind good 1|$kind good 2|"
done
check "the flood is logged with its filter" grep -qF "filter flood: the co-process wrote a line longer than max_line" "$TMP/b-flood/once.err"
check "the silence is logged with its filter" grep -qF "filter silent: no answer within 1000 ms" "$TMP/b-silent/once.err"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# Revisions (`revisions = yes`), with `feedspool once` against tests/fixture_server.py on
# 127.0.0.1. Two feeds serve the same kind of items, one with revisions on, one without:
#  - a changed body, or only a changed title, makes the revisions feed write the article again
#    under the same names, <id>.json with "revision": n and <id>.txt with the new text; the
#    copy in new/ is replaced, a copy a reader took into cur/ is left alone; the other feed
#    writes nothing; an unchanged document, or a change of whitespace inside the HTML that the
#    text rendering does not show, writes nothing; a second change makes revision 2;
#  - a revision a filter drops is not written and not judged again; the next change continues
#    the numbering (with the lua plugin built);
#  - an article recorded before content hashes (version 2 state: hash 0) first has its hash
#    recorded, with no revision; an item whose link changed is revised under its guid's id;
#  - a story a feed lists twice, differently, and a copy in another feed are duplicates, not
#    revisions;
#  - crash recovery, on a state and spool made by hand as a SIGKILL leaves them: a revision
#    recorded but not published is published exactly once over the older copy in new/; a
#    revision already published is not published again (an unrecorded, complete stage of a
#    later revision in tmp/ is not taken for it); a partial unrecorded stage is removed;
#  - then SIGKILL at random moments while every item changes at every round, a reader taking
#    files: the revisions a reader sees of an id only grow, and a clean pass leaves the latest
#    text of every item.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
mkdir -p "$TMP/feeds"

# mkfeed NAME "TITLE|HTML BODY" ...: an RSS document, one item per argument (link
# https://NAME.example/N and guid NAME-N, N counting from 1), replaced atomically. LINK_3
# overrides the third item's link.
mkfeed() {
	name=$1
	shift
	{
		echo '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
		echo "<title>$name</title><link>https://$name.example/</link>"
		[ -n "${COMMENT:-}" ] && echo "<!-- $COMMENT -->"
		n=0
		for item in "$@"; do
			n=$((n + 1))
			link=https://$name.example/$n
			[ $n = 3 ] && [ -n "${LINK_3:-}" ] && link=$LINK_3
			printf '<item><title>%s</title><link>%s</link><guid>%s-%s</guid>' \
				"${item%%|*}" "$link" "$name" "$n"
			printf '<description><![CDATA[%s]]></description></item>\n' "${item#*|}"
		done
		echo '</channel></rss>'
	} >"$TMP/feeds/$name.xml.new" && mv "$TMP/feeds/$name.xml.new" "$TMP/feeds/$name.xml"
}

start_fixture_server "$TMP/feeds"
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT

# sql DB QUERY: the rows of a query on a state database, "|"-separated
sql() {
	python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute(sys.argv[2]):
    print("|".join(str(c) for c in row))
db.commit()
EOF
}

# id_of FEED N: the id feedspool gives item N (by its position) of FEED's current document
id_of() {
	"$FEEDSPOOL" parse --url "$BASE/feed/$1.xml" "$TMP/feeds/$1.xml" | sed -n "$2p" | jq -r .id
}

# once DIR LABEL: one pass; its log in DIR/LABEL.err
once() {
	"$FEEDSPOOL" once -c "$1/feedspool.conf" 2>"$1/$2.err"
	expect_eq "pass $2 succeeds ($(cat "$1/$2.err"))" "$?" 0
}

# logs DIR LABEL TEXT: the pass's log holds TEXT
logs() {
	checks=$((checks + 1))
	grep -qF -- "$3" "$1/$2.err" || fail "pass $2: expected '$3' in the log: $(cat "$1/$2.err")"
}

# field FILE JQ: a field of a JSON file
field() { jq -r "$2" "$1" 2>/dev/null; }

# sums DIR: the checksums of every file in a directory, by name
sums() { (cd "$1" && sha256sum -- * 2>/dev/null); }

LUA=
[ -f "${FEEDSPOOL_PLUGIN_DIR:-}/lua.so" ] && LUA=yes
R=$TMP/run
mkdir -p "$R"
{
	echo "[feedspool]"
	echo "state = state.db"
	echo "spool = spool"
	echo "allow_private = 127.0.0.1"
	echo "format = json+text"
	echo "near_duplicates = no"
	echo "jitter = 0"
	echo "[feed rev]"
	echo "url = $BASE/feed/rev.xml"
	echo "revisions = yes"
	echo "[feed norev]"
	echo "url = $BASE/feed/norev.xml"
	if [ -n "$LUA" ]; then
		echo "[filter dropme]"
		echo "plugin = lua"
		echo "script = dropme.lua"
	fi
} >"$R/feedspool.conf"
cat >"$R/dropme.lua" <<'EOF'
-- drops what says DROPME
function filter(a)
	if a.body and a.body:find("DROPME", 1, true) then return "drop" end
	return "keep"
end
EOF
NEW=$R/spool/new
CUR=$R/spool/cur

I1='Story one|<p>Body one, first version.</p>'
I2='Story two|<p>Body two.</p>'
I3='Story three|<p>Body three.</p>'
mkfeed rev "$I1" "$I2" "$I3"
mkfeed norev "$I1" "$I2" "$I3"

# --- pass 1: first versions ---------------------------------------------------------------------
once "$R" p1
r1=$(id_of rev 1) r2=$(id_of rev 2) r3=$(id_of rev 3) n1=$(id_of norev 1)
expect_eq "pass 1 writes the six articles" "$(ls "$NEW" | grep -c '\.json$')" 6
expect_eq "no first version carries a revision" \
	"$(cat "$NEW"/*.json | jq -s 'map(has("revision")) | any')" false
expect_eq "every article accepted has its content hash recorded, whatever its feed" \
	"$(sql "$R/state.db" 'SELECT count(*) FROM seen WHERE content_hash = 0 OR revision != 0')" 0
# a reader takes the first story of the revisions feed
mv "$NEW/$r1.json" "$NEW/$r1.txt" "$CUR/"
sums "$CUR" >"$TMP/cur.1"
sums "$NEW" >"$TMP/new.1"

# --- pass 2: a new body, a new title, whitespace only -------------------------------------------
I1='Story one|<p>Body one, second version.</p>'
mkfeed rev "$I1" "Story two, retitled|<p>Body two.</p>" "Story three|<p>Body
	three.  </p>  "
mkfeed norev "$I1" "$I2" "$I3"
once "$R" p2
logs "$R" p2 "feed rev: ok: 2 new (2 revisions), 1 duplicate, 0 dropped"
logs "$R" p2 "feed norev: ok: 0 new, 3 duplicate, 0 dropped"
logs "$R" p2 "2 new (2 revisions), 4 duplicate"
expect_eq "the changed body is written again as revision 1" "$(field "$NEW/$r1.json" .revision)" 1
expect_eq "revision 1 keeps the id" "$(field "$NEW/$r1.json" .id)" "$r1"
expect_eq "revision 1 has the new body" "$(field "$NEW/$r1.json" .body)" "Body one, second version."
expect_eq "its text file has the new text" "$(cat "$NEW/$r1.txt")" "$(printf 'Story one\n\nBody one, second version.')"
expect_eq "the copy the reader took into cur/ is left alone" "$(sums "$CUR")" "$(cat "$TMP/cur.1")"
expect_eq "a new title alone makes revision 1" "$(field "$NEW/$r2.json" '.revision, .title' | tr '\n' ' ')" "1 Story two, retitled "
expect_eq "which replaced the unread copy's text too" "$(head -1 "$NEW/$r2.txt")" "Story two, retitled"
expect_eq "whitespace inside the HTML only: no revision" \
	"$(grep " $r3\." "$TMP/new.1")" "$(sums "$NEW" | grep " $r3\.")"
expect_eq "the feed without revisions writes nothing" \
	"$(grep -v " $r2\." "$TMP/new.1")" "$(sums "$NEW" | grep -v -e " $r1\." -e " $r2\.")"
expect_eq "new/ holds one file per id: revision 1 of $r1 appeared again beside the others" \
	"$(ls "$NEW" | grep -c '\.json$')" 6
expect_eq "tmp/ is empty" "$(ls "$R/spool/tmp" | wc -l | tr -d ' ')" 0
expect_eq "the state records revision 1 of $r1, written" \
	"$(sql "$R/state.db" "SELECT status, revision FROM seen WHERE id = '$r1'")" "2|1"
expect_eq "the feed without revisions keeps its first hash and revision 0" \
	"$(sql "$R/state.db" "SELECT revision, content_hash != 0 FROM seen WHERE id = '$n1'")" "0|1"

# --- pass 3: the same items in a document that changed elsewhere (served again with 200) --------
sums "$NEW" >"$TMP/new.3"
COMMENT="pass 3"
mkfeed rev "$I1" "Story two, retitled|<p>Body two.</p>" "$I3"
mkfeed norev "$I1" "$I2" "$I3"
COMMENT=
once "$R" p3
logs "$R" p3 "feed rev: ok: 0 new, 3 duplicate, 0 dropped"
expect_eq "an unchanged article is not written again" "$(sums "$NEW")" "$(cat "$TMP/new.3")"

# --- pass 4: another change makes revision 2 ----------------------------------------------------
I1='Story one|<p>Body one, third version.</p>'
mkfeed rev "$I1" "Story two, retitled|<p>Body two.</p>" "$I3"
once "$R" p4
logs "$R" p4 "feed rev: ok: 1 new (1 revision), 2 duplicate, 0 dropped"
expect_eq "a second change is revision 2" "$(field "$NEW/$r1.json" '.revision, .body' | tr '\n' ' ')" "2 Body one, third version. "
expect_eq "its text" "$(tail -1 "$NEW/$r1.txt")" "Body one, third version."
expect_eq "revision 2 replaced the unread revision 1: still one file per id" "$(ls "$NEW" | grep -c '\.json$')" 6

# --- passes 5 to 7: a revision a filter drops ------------------------------------------------------
I2='Story two, retitled|<p>Body two, DROPME.</p>'
if [ -n "$LUA" ]; then
	sums "$NEW" >"$TMP/new.5"
	mkfeed rev "$I1" "$I2" "$I3"
	once "$R" p5
	logs "$R" p5 "feed rev: ok: 0 new, 2 duplicate, 1 dropped"
	expect_eq "a dropped revision is not written" "$(sums "$NEW")" "$(cat "$TMP/new.5")"
	COMMENT="pass 6"
	mkfeed rev "$I1" "$I2" "$I3"
	COMMENT=
	once "$R" p6
	logs "$R" p6 "feed rev: ok: 0 new, 3 duplicate, 0 dropped"
	I2='Story two, retitled|<p>Body two, kept.</p>'
	mkfeed rev "$I1" "$I2" "$I3"
	once "$R" p7
	logs "$R" p7 "feed rev: ok: 1 new (1 revision), 2 duplicate, 0 dropped"
	expect_eq "the next change after a dropped one is the next revision" \
		"$(field "$NEW/$r2.json" '.revision, .body' | tr '\n' ' ')" "2 Body two, kept. "
else
	echo "note: the lua plugin is not built: the filter passes are skipped" >&2
	I2='Story two, retitled|<p>Body two, kept.</p>'
	mkfeed rev "$I1" "$I2" "$I3"
	once "$R" p7
fi

# --- passes 8 and 9: a hash recorded before content hashes were (0: unknown) ---------------------
sql "$R/state.db" "UPDATE seen SET content_hash = 0 WHERE id = '$r3'"
sums "$NEW" >"$TMP/new.8"
I3='Story three|<p>Body three, changed while the hash was unknown.</p>'
mkfeed rev "$I1" "$I2" "$I3"
once "$R" p8
logs "$R" p8 "feed rev: ok: 0 new, 3 duplicate, 0 dropped"
expect_eq "an unknown hash is only recorded: nothing written" "$(sums "$NEW")" "$(cat "$TMP/new.8")"
expect_eq "the hash is known now" \
	"$(sql "$R/state.db" "SELECT content_hash != 0, revision FROM seen WHERE id = '$r3'")" "1|0"
I3='Story three|<p>Body three, changed again.</p>'
mkfeed rev "$I1" "$I2" "$I3"
once "$R" p9
logs "$R" p9 "feed rev: ok: 1 new (1 revision), 2 duplicate, 0 dropped"
expect_eq "the next change is revision 1" "$(field "$NEW/$r3.json" .revision)" 1

# --- pass 10: the link changed, the guid did not ---------------------------------------------------
I3='Story three|<p>Body three, moved.</p>'
LINK_3=https://rev.example/3-moved # from now on
mkfeed rev "$I1" "$I2" "$I3"
moved=$(id_of rev 3)
once "$R" p10
logs "$R" p10 "feed rev: ok: 1 new (1 revision), 2 duplicate, 0 dropped"
expect_eq "an item found by its guid is revised under its first id" \
	"$(field "$NEW/$r3.json" '.revision, .url' | tr '\n' ' ')" "2 https://rev.example/3-moved "
checks=$((checks + 1))
[ "$moved" != "$r3" ] && [ ! -e "$NEW/$moved.json" ] ||
	fail "the moved item's own id $moved must not be written (nor equal $r3)"

# --- one story listed twice, and a copy in another feed: duplicates, never revisions -------------
T=$TMP/twice
mkdir -p "$T"
{
	echo "[feedspool]"
	echo "state = state.db"
	echo "spool = spool"
	echo "allow_private = 127.0.0.1"
	echo "near_duplicates = no"
	echo "jitter = 0"
	echo "revisions = yes"
	echo "[feed twice]"
	echo "url = $BASE/feed/twice.xml"
} >"$T/feedspool.conf"
# both items link to https://twice.example/1: one id
mkfeed twice "Twice|<p>The first telling.</p>" "Twice|<p>The second telling.</p>"
sed -i 's|https://twice.example/2|https://twice.example/1|' "$TMP/feeds/twice.xml"
once "$T" t1
logs "$T" t1 "feed twice: ok: 1 new, 1 duplicate, 0 dropped"
printf '[feed mirror]\nurl = %s/feed/mirror.xml\n' "$BASE" >>"$T/feedspool.conf"
mkfeed mirror "Twice|<p>The mirror's telling.</p>"
sed -i 's|https://mirror.example/1|https://twice.example/1|' "$TMP/feeds/mirror.xml"
sed -i 's|</channel>|<!-- again --></channel>|' "$TMP/feeds/twice.xml"
once "$T" t2
logs "$T" t2 "feed twice: ok: 0 new, 2 duplicate, 0 dropped"
logs "$T" t2 "feed mirror: ok: 0 new, 1 duplicate, 0 dropped"
expect_eq "one file, the first telling, never revised" \
	"$(cat "$T"/spool/new/*.json | jq -r '"\(.revision // 0) \(.body)"')" "0 The first telling."

# --- crash recovery -----------------------------------------------------------------------------
# ref: the same run, one pass further: what the revision's files and record are
cp -a "$R" "$TMP/ref"
I1='Story one|<p>Body one, fourth version.</p>'
mkfeed rev "$I1" "$I2" "$I3"
once "$TMP/ref" c0
logs "$TMP/ref" c0 "feed rev: ok: 1 new (1 revision), 2 duplicate, 0 dropped"
expect_eq "the reference pass writes revision 3" "$(field "$TMP/ref/spool/new/$r1.json" .revision)" 3
ref_hash=$(sql "$TMP/ref/state.db" "SELECT content_hash FROM seen WHERE id = '$r1'")
# the run as a SIGKILL after recording revision 3, before publishing it, leaves it: the files
# durable in tmp/, the record SPOOLING with the new hash and revision, revision 2 in new/
cp "$TMP/ref/spool/new/$r1.json" "$TMP/ref/spool/new/$r1.txt" "$R/spool/tmp/"
sql "$R/state.db" "UPDATE seen SET status = 1, content_hash = $ref_hash, revision = 3 WHERE id = '$r1'"
# revision 2 of $r3 published but the crash came before its record said so; meanwhile revision 3
# was staged, whole, but never recorded
sql "$R/state.db" "UPDATE seen SET status = 1 WHERE id = '$r3'"
jq -c '.revision = 3 | .body = "never recorded"' "$NEW/$r3.json" >"$R/spool/tmp/$r3.json"
# a stage of $r2 cut by the crash, never recorded
printf '{"schema":1,"id":"%s","revision":3,"fe' "$r2" >"$R/spool/tmp/$r2.json"
sums "$NEW" | grep -v " $r1\." >"$TMP/new.c"
sums "$CUR" >"$TMP/cur.c"
once "$R" c1
logs "$R" c1 "recovery: 2 recorded articles settled"
logs "$R" c1 "feed rev: ok: 0 new, 3 duplicate, 0 dropped"
expect_eq "recovery publishes the recorded revision 3 over revision 2 in new/" \
	"$(sums "$NEW" | grep " $r1\.")" "$(sums "$TMP/ref/spool/new" | grep " $r1\.")"
expect_eq "and nothing else changes in new/ (revision 2 of $r3 stays, not the unrecorded stage)" \
	"$(sums "$NEW" | grep -v " $r1\.")" "$(cat "$TMP/new.c")"
expect_eq "nor in cur/" "$(sums "$CUR")" "$(cat "$TMP/cur.c")"
expect_eq "tmp/ is empty after the recovery" "$(ls "$R/spool/tmp" | wc -l | tr -d ' ')" 0
expect_eq "the state: $r1 written at revision 3, $r3 written at revision 2" \
	"$(sql "$R/state.db" "SELECT id, status, revision FROM seen WHERE id IN ('$r1', '$r3') ORDER BY id = '$r3'")" \
	"$(printf '%s|2|3\n%s|2|2' "$r1" "$r3")"
COMMENT="c2"
mkfeed rev "$I1" "$I2" "$I3"
COMMENT=
once "$R" c2
logs "$R" c2 "feed rev: ok: 0 new, 3 duplicate, 0 dropped"

# --- SIGKILL at random moments while every item keeps changing -----------------------------------
KILLS=${REV_CRASH_KILLS:-12}
FEEDS=4
K=$TMP/kill
mkdir -p "$K"
# round R: every feed k1..kFEEDS with 12 items whose bodies all change at every round
round() {
	awk -v feeds=$FEEDS -v r="$1" -v dir="$TMP/feeds" 'BEGIN {
		for (f = 1; f <= feeds; f++) {
			out = dir "/k" f ".xml.new"
			print "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>" > out
			print "<title>k" f "</title><link>https://k" f ".example/</link>" > out
			for (i = 12; i >= 1; i--) {
				print "<item><title>Story " f "." i "</title><link>https://k" f ".example/" i "</link>" > out
				print "<guid>k" f "-" i "</guid><description>&lt;p&gt;Round " r " of story " i " in feed " f ".&lt;/p&gt;</description></item>" > out
			}
			print "</channel></rss>" > out
			close(out)
			system("mv " dir "/k" f ".xml.new " dir "/k" f ".xml")
		}
	}'
}
{
	echo "[feedspool]"
	echo "state = state.db"
	echo "spool = spool"
	echo "allow_private = 127.0.0.1"
	echo "format = json+text"
	echo "near_duplicates = no"
	echo "jitter = 0"
	echo "revisions = yes"
	for f in $(seq 1 $FEEDS); do
		printf '[feed k%s]\nurl = %s/feed/k%s.xml\n' "$f" "$BASE" "$f"
	done
} >"$K/feedspool.conf"
: >"$K/taken"

# a reader: takes everything from new/, noting "id revision body"; a revision of an id is never
# seen twice, nor after a later one
take() {
	ls "$K/spool/new" | grep '\.json$' | sed "s|^|$K/spool/new/|" >"$K/batch"
	[ -s "$K/batch" ] || return 0
	# shellcheck disable=SC2046
	jq -r '"\(.id) \(.revision // 0) \(.body)"' $(cat "$K/batch") >"$K/lines" ||
		fail "the reader cannot read new/"
	while read -r id rev body; do
		last=$(awk -v id="$id" '$1 == id {r = $2} END {print r}' "$K/taken")
		checks=$((checks + 1))
		if [ -n "$last" ] && [ "$rev" -le "$last" ]; then
			fail "$id: revision $rev seen after revision $last (written twice, or out of order)"
		fi
		echo "$id $rev $body" >>"$K/taken"
		rm -f "$K/spool/new/$id.json" "$K/spool/new/$id.txt"
	done <"$K/lines"
}

invariants() {
	checks=$((checks + 1))
	for f in "$K"/spool/new/*; do
		[ -e "$f" ] || continue
		case $f in
		*.json) jq -e '.schema == 1' "$f" >/dev/null 2>&1 || fail "kill $1: partial or invalid file in new/: $f" ;;
		*.txt) [ -s "$f" ] || fail "kill $1: empty text file in new/: $f" ;;
		*) fail "kill $1: unexpected file in new/: $f" ;;
		esac
	done
}

round 0
once "$K" k0
take
for k in $(seq 1 "$KILLS"); do
	round "$k"
	# a random instant within the pass (which takes a few hundred milliseconds)
	kill_once_randomly "$K/feedspool.conf" "$K/once.err" "$k$$" 0.5
	invariants "$k"
	take
done
once "$K" final
invariants final
take
# the latest text of every item is the last one the reader saw
for f in $(seq 1 $FEEDS); do
	"$FEEDSPOOL" parse --url "$BASE/feed/k$f.xml" "$TMP/feeds/k$f.xml" | jq -r '"\(.id) \(.body)"'
done | sort >"$K/expected"
awk '{last[$1] = $0} END {for (i in last) print last[i]}' "$K/taken" | cut -d' ' -f1,3- |
	sort >"$K/got"
expect_eq "after $KILLS kills and a clean pass, the latest text of all $(wc -l <"$K/expected" | tr -d ' ') items was written" \
	"$(comm -3 "$K/expected" "$K/got" | head -3)" ""
expect_eq "revisions were written across the kills" \
	"$(awk '$2 > 0' "$K/taken" | wc -l | awk '{print ($1 > 0)}')" 1
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# `feedspool take`: several takers at once get every article exactly once (new/ ends empty,
# cur/ holds them all); --max; the text rendering; an mbox read back with Python's mailbox and
# with mutt in batch mode (From, Subject decoded from RFC 2047, Date, Message-ID, the text/plain
# part, and a text/html alternative for an article with "content_html"); a Maildir; an article
# that cannot be printed goes back to new/; a corrupt file is named.
. "${top_srcdir:-.}/tests/lib.sh"
need python3

# a feed of 240 items, two with non-ASCII titles
python3 - "$TMP/many.rss" <<'EOF'
import sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            '<title>Many – Übersicht</title><link>https://many.example/</link>\n')
    for i in range(240):
        t = "Ünïcode title %d — «quoted» ✓" % i if i < 2 else "Item %d" % i
        f.write('<item><title>%s</title><link>https://many.example/%d</link><guid>m-%d</guid>'
                '<pubDate>Mon, 03 Nov 2025 10:%02d:00 GMT</pubDate>'
                '<description>&lt;p&gt;Body of item %d.&lt;/p&gt;&lt;p&gt;From the start of a line.&lt;/p&gt;'
                '</description></item>\n'
                % (t, i, i, i % 60, i))
    f.write("</channel></rss>\n")
EOF
cat >"$TMP/feedspool.conf" <<EOF
[feedspool]
state = state.db
spool = spool
allow_file_urls = yes
[feed many]
url = file://$TMP/many.rss
EOF
"$FEEDSPOOL" once -c "$TMP/feedspool.conf" 2>"$TMP/once.err"
expect_eq "once writes the articles ($(tail -1 "$TMP/once.err"))" "$(ls "$TMP/spool/new" | grep -c '\.json$')" 240
ls "$TMP/spool/new" | sed -n 's/\.json$//p' | sort >"$TMP/all"

# --- four takers at once ----------------------------------------------------------------------
for i in 1 2 3 4; do
	"$FEEDSPOOL" take -c "$TMP/feedspool.conf" >"$TMP/take.$i" 2>"$TMP/take.$i.err" &
	eval "pid$i=\$!"
done
rcs=
for i in 1 2 3 4; do
	eval "wait \$pid$i"
	rcs="$rcs$?"
done
expect_eq "the four takers exit 0 ($(cat "$TMP"/take.*.err))" "$rcs" 0000
cat "$TMP"/take.1 "$TMP"/take.2 "$TMP"/take.3 "$TMP"/take.4 | python3 -c '
import json, sys
for line in sys.stdin:
    print(json.loads(line)["id"])' | sort >"$TMP/taken"
expect_eq "every article was taken exactly once" "$(wc -l <"$TMP/taken" | tr -d ' ') $(sort -u "$TMP/taken" | wc -l | tr -d ' ')" "240 240"
expect_eq "the takers got every article" "$(diff "$TMP/all" "$TMP/taken")" ""
echo "taken by each: $(for i in 1 2 3 4; do wc -l <"$TMP/take.$i"; done | tr '\n' ' ')" >&2
expect_eq "new/ is empty" "$(ls "$TMP/spool/new" | wc -l | tr -d ' ')" 0
expect_eq "cur/ holds every article and its text" "$(ls "$TMP/spool/cur" | wc -l | tr -d ' ')" 480
"$FEEDSPOOL" take -c "$TMP/feedspool.conf" >"$TMP/again"
expect_eq "a taker with nothing to take exits 0 and prints nothing" "$?:$(wc -c <"$TMP/again" | tr -d ' ')" "0:0"

# put them back for the next takers
mv "$TMP"/spool/cur/* "$TMP/spool/new/"
# the two non-ASCII titles are for the mbox below: made the newest here, so that --max 3 (oldest
# first) never takes them (it did when `once` happened to write one of them among the first three)
for f in $(grep -l 'Ünïcode title' "$TMP"/spool/new/*.json); do touch -d @4000000000 "$f"; done

# --- --max, text -------------------------------------------------------------------------------
"$FEEDSPOOL" take -s "$TMP/spool" --max 3 --format text >"$TMP/text"
expect_eq "--max 3 takes 3" "$(ls "$TMP/spool/cur" | grep -c '\.json$')" 3
expect_eq "the text format separates the articles by form feed lines" "$(grep -c "$(printf '^\f$')" "$TMP/text")" 2
for f in "$TMP"/spool/cur/*.txt; do cat "$f"; done >"$TMP/text.expected"
expect_eq "the text format prints the text renderings" \
	"$(grep -v "$(printf '^\f$')" "$TMP/text" | sort)" "$(sort "$TMP/text.expected")"

# --- an article with content_html, written by hand as another producer would ----------------
python3 - "$TMP/spool/new" <<'EOF'
import json, os, sys
a = {"schema": 1, "id": "00000000000000aa",
     "feed": {"name": "handmade", "url": "https://h.example/feed", "title": "Fête — Ñews",
              "link": None, "language": None, "subtitle": None, "updated": None, "authors": []},
     "url": "https://h.example/a", "guid": "a", "title": "Crème brûlée for everyone",
     "standfirst": None, "authors": [], "published": "2025-11-03T10:00:00Z", "updated": None,
     "fetched": "2025-11-03T10:05:00Z", "language": "fr", "categories": [], "summary": None,
     "body": "Plain body with = signs and a very long line " + "x" * 300,
     "content_html": "<p>HTML <b>body</b> = rich</p>", "links": [], "enclosures": [],
     "topics": [], "tags": []}
p = os.path.join(sys.argv[1], a["id"] + ".json")
with open(p, "w", encoding="utf-8") as f:
    json.dump(a, f, ensure_ascii=False)
os.utime(p, (0, 0))  # the oldest: taken first
EOF

# --- mbox, read by Python's mailbox -----------------------------------------------------------
# the two non-ASCII titles among the 20 oldest, taken first (after the hand-made one)
expect_eq "the two non-ASCII titles wait in new/" "$(grep -l 'Ünïcode title' "$TMP"/spool/new/*.json | wc -l | tr -d ' ')" 2
for f in $(grep -l 'Ünïcode title' "$TMP"/spool/new/*.json); do touch -d @1 "$f"; done
"$FEEDSPOOL" take -s "$TMP/spool" --max 20 --format mbox >"$TMP/out.mbox"
expect_eq "take --format mbox exits 0" "$?" 0
python3 - "$TMP/out.mbox" "$TMP/spool/cur" >"$TMP/mailbox.out" 2>&1 <<'EOF'
import email.header, email.utils, json, mailbox, os, sys
box, cur = sys.argv[1:]
msgs = list(mailbox.mbox(box))
assert len(msgs) == 20, len(msgs)
for m in msgs:
    mid = m["Message-ID"].strip("<>").split("@")[0]
    a = json.load(open(os.path.join(cur, mid + ".json"), encoding="utf-8"))
    subject = str(email.header.make_header(email.header.decode_header(m["Subject"])))
    assert subject == a["title"], (subject, a["title"])
    name, addr = email.utils.parseaddr(str(email.header.make_header(email.header.decode_header(m["From"]))))
    assert name == a["feed"]["title"] and addr == a["feed"]["name"] + "@feedspool.invalid", (name, addr)
    when = email.utils.parsedate_to_datetime(m["Date"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert when == a["published"], (when, a["published"])
    for line in open(box, encoding="utf-8"):
        assert len(line) <= 998
    if "content_html" in a:
        assert m.get_content_type() == "multipart/alternative", m.get_content_type()
        plain, html = m.get_payload()
        assert html.get_content_type() == "text/html"
        assert html.get_payload(decode=True).decode() == a["content_html"]
    else:
        assert m.get_content_type() == "text/plain", m.get_content_type()
        plain = m
    text = plain.get_payload(decode=True).decode("utf-8")
    assert a["body"] in text, (a["body"], text)
    assert a["url"] in text
print("ok", len(msgs))
EOF
expect_eq "Python's mailbox reads the 20 messages back ($(tail -3 "$TMP/mailbox.out"))" "$(tail -1 "$TMP/mailbox.out")" "ok 20"

# --- the same mbox in mutt, in batch mode (under script(1) for its terminal) ------------------
if command -v mutt >/dev/null 2>&1 && command -v script >/dev/null 2>&1; then
	HOME=$TMP TERM=vt100 timeout 30 script -qec "mutt -n -R -F /dev/null -f '$TMP/out.mbox' \
		-e 'set folder=$TMP pipe_decode=yes pipe_split=yes wait_key=no auto_tag=yes' \
		-e 'push \"<tag-pattern>~A<enter><pipe-message>cat >>$TMP/mutt.out<enter><exit>\"'" \
		/dev/null >/dev/null 2>&1
	expect_eq "mutt shows the 20 messages" "$(grep -c '^Subject: ' "$TMP/mutt.out")" 20
	check "mutt decodes the RFC 2047 subject" grep -Eq '^Subject: Ünïcode title [0-9]+ — «quoted» ✓$' "$TMP/mutt.out"
	check "mutt decodes the sender" grep -q '^From: "\?Fête — Ñews"\? <handmade@feedspool.invalid>$' "$TMP/mutt.out"
	check "mutt decodes the body" grep -q '^From the start of a line.$' "$TMP/mutt.out"
	check "where the mbox has no unescaped From line in a body" test "$(grep -c '^From ' "$TMP/out.mbox")" -eq 20
else
	echo "mutt or script missing: the mutt check is skipped" >&2
fi

# --- Maildir ----------------------------------------------------------------------------------
"$FEEDSPOOL" take -s "$TMP/spool" --max 5 --maildir "$TMP/Mail" 2>"$TMP/md.err"
expect_eq "take --maildir exits 0 ($(cat "$TMP/md.err"))" "$?" 0
expect_eq "5 messages are in the Maildir's new/" "$(ls "$TMP/Mail/new" | wc -l | tr -d ' ')" 5
expect_eq "and nothing in its tmp/" "$(ls "$TMP/Mail/tmp" | wc -l | tr -d ' ')" 0
python3 -c 'import mailbox, sys; print(len(mailbox.Maildir(sys.argv[1], create=False)))' "$TMP/Mail" >"$TMP/md.n"
expect_eq "Python reads the Maildir" "$(cat "$TMP/md.n")" 5

# --- an output that fails: the article goes back ----------------------------------------------
before=$(ls "$TMP/spool/new" | grep -c '\.json$')
"$FEEDSPOOL" take -s "$TMP/spool" >/dev/full 2>"$TMP/full.err"
expect_eq "take exits 1 when stdout fails" "$?" 1
check "the failure is named ($(cat "$TMP/full.err"))" grep -q 'cannot print: No space left on device (back in new/)' "$TMP/full.err"
expect_eq "the article is back in new/" "$(ls "$TMP/spool/new" | grep -c '\.json$')" "$before"

# --- a corrupt file ---------------------------------------------------------------------------
printf '{"schema":1,' >"$TMP/spool/new/00000000000000bb.json"
touch -d '2000-01-01' "$TMP/spool/new/00000000000000bb.json"
"$FEEDSPOOL" take -s "$TMP/spool" --max 2 >"$TMP/bad.out" 2>"$TMP/bad.err"
expect_eq "take exits 1 for a corrupt article" "$?" 1
check "it names the file ($(cat "$TMP/bad.err"))" grep -q "spool/cur/00000000000000bb.json: line 1: not an article" "$TMP/bad.err"
expect_eq "and goes on with the next two (--max counts the articles taken)" "$(wc -l <"$TMP/bad.out" | tr -d ' ')" 2

rm "$TMP/spool/cur/00000000000000bb.json" # not an article: the schema check in finish() would refuse it

# --- usage ------------------------------------------------------------------------------------
"$FEEDSPOOL" take -s "$TMP/spool" --format pdf 2>/dev/null
expect_eq "an unknown format is a usage error" "$?" 2
"$FEEDSPOOL" take -s "$TMP/spool" --max 0 2>/dev/null
expect_eq "--max 0 is a usage error" "$?" 2
"$FEEDSPOOL" take -s "$TMP/nowhere" 2>"$TMP/nowhere.err"
expect_eq "a missing spool fails" "$?" 1
check "naming it ($(cat "$TMP/nowhere.err"))" grep -q "nowhere/new: No such file" "$TMP/nowhere.err"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# File permissions and paths. Spool files are 0666 & ~umask whatever the process umask (default
# umask 027: 0640; `umask = 077`: 0600; `umask = 022`: 0644), tmp/ new/ cur/ 2770 when the
# group may read the files (so it may take them), 0700 when not, plus 0005 for others; the state database and its -wal and -shm are 0600. And nothing from a feed becomes a
# path: guids, links, titles and ids full of "../", "/", very long strings, a NUL, and feed
# names from OPML titles full of "../" leave only "<16 hex digits>.json|txt" files in new/ and
# nothing anywhere else.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need python3
need curl
mkdir -p "$TMP/feeds"
cp "$FIXTURES/seed-feeds/outlet-a.rss" "$TMP/feeds/"
start_fixture_server "$TMP/feeds"
daemon=
trap 'kill $server $daemon 2>/dev/null; rm -rf "$TMP"' EXIT

# conf DIR [EXTRA LINES...]
conf() {
	dir=$1
	shift
	mkdir -p "$dir"
	{
		echo "[feedspool]"
		echo "state = state.db"
		echo "spool = spool"
		echo "allow_private = 127.0.0.1"
		echo "format = json+text"
		for l in "$@"; do echo "$l"; done
		echo "[feed outlet-a]"
		echo "url = $BASE/feed/outlet-a.rss"
	} >"$dir/feedspool.conf"
}
modes() { stat -c '%a' "$@" | sort -u | tr '\n' ' '; }

# --- modes ---------------------------------------------------------------------------------
for u in default 077 022; do
	D=$TMP/mode-$u
	if [ $u = default ]; then conf "$D"; else conf "$D" "umask = $u"; fi
	# a permissive process umask: the spool's umask decides all the same
	(umask 000 && exec "$FEEDSPOOL" once -c "$D/feedspool.conf") 2>"$TMP/paths-once.err"
	expect_eq "umask $u: once succeeds ($(cat "$TMP/paths-once.err"))" "$?" 0
	case $u in
	default) f=640 d=2770 ;;
	077) f=600 d=700 ;;
	022) f=644 d=2775 ;;
	esac
	expect_eq "umask $u: articles were written" "$(ls "$D/spool/new" | grep -c '\.json$')" 3
	expect_eq "umask $u: spool files are $f" "$(modes "$D"/spool/new/*)" "$f "
	expect_eq "umask $u: tmp/, new/ and cur/ are $d" "$(modes "$D/spool/tmp" "$D/spool/new" "$D/spool/cur")" "$d "
	expect_eq "umask $u: the state database is 600" "$(modes "$D/state.db")" "600 "
done

# the write-ahead log and its index, while the daemon has them open
D=$TMP/wal
conf "$D" "interval = 30m"
(umask 000 && exec "$FEEDSPOOL" run -c "$D/feedspool.conf") 2>"$D/run.err" &
daemon=$!
wait_for "the daemon fetches outlet-a" 30 grep -q "feed outlet-a: ok" "$D/run.err"
check "the write-ahead log exists while the daemon runs" test -e "$D/state.db-wal"
expect_eq "state.db, -wal and -shm are 600" "$(modes "$D/state.db" "$D/state.db-wal" "$D/state.db-shm")" "600 "
kill -TERM $daemon
wait $daemon
expect_eq "the daemon stops with 0" "$?" 0
daemon=

# --- no path from feed content ---------------------------------------------------------------
D=$TMP/paths
TAG=feedspool-traversal-$$
long=$(printf '../%.0s' $(seq 3000))
python3 - "$TMP/feeds" "$TAG" "$long" <<'EOF'
import json, sys
feeds, tag, long = sys.argv[1:]
esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;")
items = [
    ("../../../../../../../../tmp/%s-title" % tag, "../../../../../../tmp/%s-link" % tag,
     "../../../../../../tmp/%s-guid" % tag),
    ("/etc/passwd", "/tmp/%s-abs" % tag, "/tmp/%s-absguid" % tag),
    ("a/b\\c/..\\..", "https://x.example/..%%2f..%%2f%s" % tag, "..%%2f..%%2f%s" % tag),
    (long, "https://x.example/" + long, long),
]
with open(feeds + "/paths.rss", "w") as f:
    f.write('<?xml version="1.0"?><rss version="2.0"><channel><title>../../%s</title>'
            '<link>https://x.example/</link>\n' % tag)
    for t, l, g in items:
        f.write("<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid>"
                "<description>%s</description></item>\n" % (esc(t), esc(l), esc(g), esc(t)))
    f.write("</channel></rss>\n")
jf = {"version": "https://jsonfeed.org/version/1.1", "title": "../../" + tag,
      "items": [{"id": "../../../../../../tmp/%s-jid" % tag, "url": "../../../../tmp/%s-jurl" % tag,
                 "title": "../json/../" + tag, "content_text": "json body"},
                {"id": long, "title": "/" + long, "content_text": "long body"},
                {"id": "C:\\..\\..\\" + tag, "content_text": "windows body"}]}
with open(feeds + "/paths.json", "w") as f:
    json.dump(jf, f)
with open(feeds + "/nul.json", "w") as f:
    f.write('{"version":"https://jsonfeed.org/version/1.1","title":"nul","items":[\n'
            '{"id":"a\\u0000/../../%s-nul","title":"x\\u0000y","content_text":"nul"}]}\n' % tag)
EOF
mkdir -p "$D"
cat >"$D/feeds.opml" <<EOF
<?xml version="1.0"?>
<opml version="2.0"><head><title>paths</title></head><body>
<outline text="../../../tmp/$TAG-name" type="rss" xmlUrl="$BASE/feed/paths.rss"/>
<outline text="/etc/$TAG" type="rss" xmlUrl="$BASE/feed/paths.json"/>
<outline text="..%2f..%2f$TAG" type="rss" xmlUrl="$BASE/feed/nul.json"/>
</body></opml>
EOF
printf '[feedspool]\nstate = state.db\nspool = spool\nallow_private = 127.0.0.1\nformat = json+text\nopml = feeds.opml\n' >"$D/feedspool.conf"
"$FEEDSPOOL" check -c "$D/feedspool.conf" >"$TMP/paths-check.out" 2>&1
expect_eq "feed names from OPML titles are accepted ($(cat "$TMP/paths-check.out"))" "$?" 0
(cd "$D" && find . | sort) >"$TMP/paths-before"
"$FEEDSPOOL" once -c "$D/feedspool.conf" 2>"$TMP/paths-once.err"
expect_eq "once reports the feed it could not read" "$?" 1
check "the NUL is reported, with the feed ($(grep nul "$TMP/paths-once.err"))" \
	grep -q 'feed [a-z0-9-]*: error: line 2: invalid JSON: \\u0000 is not allowed' "$TMP/paths-once.err"
expect_eq "the other articles landed" "$(ls "$D/spool/new" | grep -c '\.json$')" 7
expect_eq "new/ holds only <id>.json and <id>.txt" "$(ls -A "$D/spool/new" | grep -Evc '^[0-9a-f]{16}\.(json|txt)$')" 0
expect_eq "the spool holds only tmp/, new/ and cur/" "$(ls -A "$D/spool" | tr '\n' ' ')" "cur new tmp "
expect_eq "tmp/ and cur/ are empty" "$(find "$D/spool/tmp" "$D/spool/cur" -mindepth 1 | wc -l | tr -d ' ')" 0
(cd "$D" && find . | sort) | grep -Ev '^\./(spool(/(tmp|new|cur)(/[0-9a-f]{16}\.(json|txt))?)?|state\.db(-wal|-shm)?)$' >"$TMP/paths-after"
expect_eq "nothing else was created" "$(diff "$TMP/paths-before" "$TMP/paths-after")" ""
expect_eq "nothing was created outside ($TAG)" "$(ls -d /tmp/$TAG* "$TMP"/../$TAG* /etc/$TAG* 2>/dev/null)" ""
expect_eq "each file is named after its article's id" \
	"$(for f in "$D"/spool/new/*.json; do [ "$(jq -r .id "$f").json" = "$(basename "$f")" ] || echo "$f"; done)" ""
expect_eq "the hostile strings are kept as data" \
	"$(jq -r .title "$D"/spool/new/*.json | grep -c "tmp/$TAG-title\|^/etc/passwd$")" 2
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# A spool other users can take from: the daemon runs as one uid in a group G, and a reader with
# another uid that is a member of G lists new/, reads every article and moves each to cur/
# (`feedspool take` and plain mv); a uid outside G can do neither. Needs root (setpriv); skips
# otherwise.
. "${top_srcdir:-.}/tests/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: not root (setpriv needs it)" >&2; exit 77; }
need setpriv
# numeric ids that need no account: the daemon, the group, a reader in it, an outsider
D_UID=65534 G=64071 R_UID=64072 O_UID=64073
as_daemon() { setpriv --reuid=$D_UID --regid=$G --clear-groups "$@"; }
as_reader() { setpriv --reuid=$R_UID --regid=$R_UID --groups=$G "$@"; }
as_outsider() { setpriv --reuid=$O_UID --regid=$O_UID --clear-groups "$@"; }

chmod 0755 "$TMP"
mkdir "$TMP/home"
cp -r "$FIXTURES/seed-feeds" "$TMP/feeds"
cat >"$TMP/home/feedspool.conf" <<EOF
[feedspool]
state = state.db
spool = spool
allow_file_urls = yes
[feed a]
url = file://$TMP/feeds/outlet-a.rss
[feed b]
url = file://$TMP/feeds/outlet-b.atom
[feed c]
url = file://$TMP/feeds/outlet-c.rdf
EOF
chmod -R a+rX "$TMP/feeds" "$TMP/home/feedspool.conf"
chown $D_UID:$G "$TMP/home"
chmod 0750 "$TMP/home"
chmod o+x "$TMP" # the reader reaches the spool through the group, the outsider not at all

as_daemon "$FEEDSPOOL" once -c "$TMP/home/feedspool.conf" 2>"$TMP/once.err"
expect_eq "once as uid $D_UID, group $G ($(tail -1 "$TMP/once.err"))" "$?" 0
S=$TMP/home/spool
n=$(ls "$S/new" | grep -c '\.json$')
check "articles were written ($n)" test "$n" -gt 0
expect_eq "the spool's directories are 2770 and group $G" \
	"$(stat -c '%a %g' "$S" "$S/tmp" "$S/new" "$S/cur" | sort -u)" "2770 $G"
expect_eq "its files are 0640 and group $G" "$(stat -c '%a %g' "$S"/new/* | sort -u)" "640 $G"

# the outsider: nothing
as_outsider ls "$S/new" >/dev/null 2>&1
expect_eq "a uid outside the group cannot list new/" "$?" 2
as_outsider "$FEEDSPOOL" take -s "$S" >"$TMP/outsider.out" 2>"$TMP/outsider.err"
expect_eq "nor take ($(cat "$TMP/outsider.err"))" "$?:$(wc -c <"$TMP/outsider.out" | tr -d ' ')" "1:0"

# a reader in the group: moves one by hand, takes the rest
one=$(ls "$S/new" | grep '\.json$' | head -1)
as_reader sh -c "cat '$S/new/$one' >/dev/null && mv '$S/new/$one' '$S/cur/$one'"
expect_eq "a reader in the group reads and moves a file to cur/ by hand" "$?" 0
as_reader "$FEEDSPOOL" take -c "$TMP/home/feedspool.conf" >"$TMP/reader.out" 2>"$TMP/reader.err"
expect_eq "a reader in the group takes the others ($(cat "$TMP/reader.err"))" "$?" 0
expect_eq "it got every article" "$(($(wc -l <"$TMP/reader.out") + 1))" "$n"
expect_eq "new/ holds no article any more" "$(ls "$S/new" | grep -c '\.json$')" 0
expect_eq "cur/ holds them all" "$(ls "$S/cur" | grep -c '\.json$')" "$n"
finish

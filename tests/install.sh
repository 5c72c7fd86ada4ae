#!/bin/sh
# SPDX-License-Identifier: MIT
# `make install` into a scratch DESTDIR: feedspool, feedspool-parse and feedspool-core (found by it there), the unit (with the configured bindir and sysconfdir,
# the static user, the spool group's StateDirectory, RestartPreventExitStatus=2), sysusers.d and
# tmpfiles.d entries, the default configuration (no feeds, loads, and is never overwritten), the
# JSON Schema and the reference pages; `make uninstall` removes them but a changed configuration.
. "${top_srcdir:-.}/tests/lib.sh"
: "${top_builddir:?top_builddir must name the build tree}"
DEST=$TMP/dest
# a sub-make of its own: the one running the tests may have handed us its job server
mk() { (cd "$top_builddir" && env -u MAKEFLAGS -u MFLAGS ${MAKE:-make} "$@" DESTDIR="$DEST") >>"$TMP/make.log" 2>&1; }
# var NAME: a directory variable of the Makefile, ${prefix} and ${exec_prefix} expanded
var() {
	sed -n "s|^$1 = ||p" "$top_builddir/Makefile" | head -1 |
		sed "s|\${exec_prefix}|$exec_prefix|g; s|\${prefix}|$prefix|g"
}
prefix=$(sed -n 's|^prefix = ||p' "$top_builddir/Makefile" | head -1)
exec_prefix=$(sed -n 's|^exec_prefix = ||p' "$top_builddir/Makefile" | head -1 | sed "s|\${prefix}|$prefix|g")

mk install
expect_eq "make install succeeds ($(tail -3 "$TMP/make.log"))" "$?" 0
bindir=$(var bindir)
sysconfdir=$(var sysconfdir)
unit=$DEST$(var systemdsystemunitdir)/feedspool.service
check "the unit is installed in systemd's unit directory ($unit)" test -f "$unit"
check "ExecStart names the installed program" grep -qx "ExecStart=$bindir/feedspool run -c $sysconfdir/feedspool/feedspool.conf" "$unit"
check "no placeholder is left" sh -c "! grep -q '@[a-z]*@' '$unit'"
check "the unit does not loop on a configuration error" grep -qx "RestartPreventExitStatus=2" "$unit"
check "the unit runs as the static user feedspool" sh -c "grep -qx 'User=feedspool' '$unit' && ! grep -q '^DynamicUser' '$unit'"
check "its spool is group-writable and setgid" sh -c "grep -qx 'StateDirectoryMode=2770' '$unit' && grep -qx 'UMask=0007' '$unit'"
check "sysusers.d has the user and group" grep -q '^u feedspool ' "$DEST$(var sysusersdir)/feedspool.conf"
check "tmpfiles.d has the spool" grep -q '^d /var/lib/feedspool/spool 2770 feedspool feedspool' "$DEST$(var tmpfilesdir)/feedspool.conf"
conf=$DEST$sysconfdir/feedspool/feedspool.conf
check "the default configuration is installed" test -f "$conf"
expect_eq "it names no feed" "$(grep -c '^\[feed ' "$conf")" 0
"$FEEDSPOOL" check -c "$conf" >"$TMP/check.out" 2>&1
check "it loads (check: $(grep -v 'state\|spool' "$TMP/check.out" | head -3))" sh -c "! grep -q 'feedspool.conf:[0-9]' '$TMP/check.out'"
check "the JSON Schema is installed" python3 -c "import json, sys; json.load(open(sys.argv[1]))" \
	"$(find "$DEST" -name feedspool-article.schema.json | head -1)"
for p in feedspool-parse feedspool-core; do
	check "$p is installed in pkglibexecdir" test -x "$DEST$(var libexecdir)/feedspool/$p"
done
# the installed feedspool finds them there under DESTDIR too (ROOT/bindir -> ROOT/pkglibexecdir)
"$DEST$bindir/feedspool" check -c "$conf" >"$TMP/check2.out" 2>&1
expect_eq "the installed feedspool runs check ($(head -2 "$TMP/check2.out"))" "$?" 0
printf 'Thu, 01 Jan 2004 19:48:21 GMT\n' | "$DEST$bindir/feedspool" date >"$TMP/date.out" 2>&1
expect_eq "and date" "$(cat "$TMP/date.out")" "2004-01-01T19:48:21Z"
for page in man5/feedspool.conf.5 man5/feedspool-spool.5 man1/feedspool.1; do
	check "$page is installed" test -n "$(find "$DEST" -path "*/$page" | head -1)"
done

# an existing configuration is kept
echo "# mine" >>"$conf"
mk install
check "make install again keeps a changed configuration" grep -qx "# mine" "$conf"
check "and says so" grep -q "keeping the existing" "$TMP/make.log"
mk uninstall
expect_eq "make uninstall succeeds" "$?" 0
check "it keeps the changed configuration" test -f "$conf"
check "it removes the unit" test ! -e "$unit"
rm "$conf"
mk install && mk uninstall
check "it removes an unchanged configuration" test ! -e "$conf"
finish

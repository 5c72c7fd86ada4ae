#!/bin/sh
# SPDX-License-Identifier: MIT
# The plugin SDK from the outside: `make install` into a scratch DESTDIR, build
# plugins/example/example.c there out of the tree with nothing but pkg-config's flags, and load
# it, with the installed topic plugin and rules, through the installed `feedspool filter`.
. "${top_srcdir:-.}/tests/lib.sh"
need jq
need pkg-config
: "${top_builddir:?top_builddir must name the build tree}"
CC=${CC:-cc}
DEST=$TMP/dest
SEEDS=$FIXTURES/seed-feeds

# a sub-make of its own: the one running the tests may have handed us its job server
if ! (cd "$top_builddir" && env -u MAKEFLAGS -u MFLAGS ${MAKE:-make} install DESTDIR="$DEST") \
	>"$TMP/install.log" 2>&1; then
	tail -20 "$TMP/install.log" >&2
	fail "make install DESTDIR=$DEST"
	finish
	exit 1
fi

pc=$(find "$DEST" -name feedspool-plugin.pc | head -1)
hdr=$(find "$DEST" -path '*/include/feedspool/plugin.h' | head -1)
bin=$(find "$DEST" -path '*/bin/feedspool' -type f | head -1)
check "feedspool-plugin.pc is installed" test -n "$pc"
check "<feedspool/plugin.h> is installed" test -n "$hdr"
check "feedspool is installed" test -x "$bin"
[ -n "$pc" ] && [ -n "$hdr" ] && [ -x "$bin" ] || { finish; exit 1; }

# pkg-config as a plugin author runs it, the installed tree seen through the DESTDIR
PKG_CONFIG_LIBDIR=$(dirname "$pc")
PKG_CONFIG_PATH=
PKG_CONFIG_SYSROOT_DIR=$DEST
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cflags=$(pkg-config --cflags feedspool-plugin)
cflags=$(echo $cflags)
expect_eq "Cflags name the installed include directory" "$cflags" "-I$(dirname "$(dirname "$hdr")")"
plugins=$(pkg-config --variable=pluginsdir feedspool-plugin)
topics=$(pkg-config --variable=topicsdir feedspool-plugin)
case $plugins in "$DEST"/*) ;; *) plugins=$DEST$plugins ;; esac
case $topics in "$DEST"/*) ;; *) topics=$DEST$topics ;; esac
check "pluginsdir holds the installed topic plugin ($plugins)" test -f "$plugins/topic.so"
check "topicsdir holds the DGX Spark rules ($topics)" test -f "$topics/dgx-spark.rules"
check "plugins export nothing but the descriptor" \
	test "$(nm -D --defined-only "$plugins/topic.so" | awk '$2 ~ /[A-Z]/ {print $3}')" = \
	feedspool_plugin_descriptor

# the header stands alone, strict C99 (and C++ when there is a compiler for it)
printf '#include <feedspool/plugin.h>\nint main(void) { return FEEDSPOOL_PLUGIN_ABI_MAJOR - 1; }\n' \
	>"$TMP/alone.c"
check "the header compiles alone as C99" \
	$CC -std=c99 -Wall -Wextra -pedantic -Werror $cflags -o "$TMP/alone" "$TMP/alone.c"
if command -v c++ >/dev/null 2>&1; then
	cp "$TMP/alone.c" "$TMP/alone.cc"
	check "the header compiles as C++" c++ -Wall -Wextra -Werror $cflags -o "$TMP/alone" "$TMP/alone.cc"
fi

# the man page shows the example as it is in the tree
sed -n '/^\.EX$/,/^\.EE$/p' "$top_srcdir/plugins/feedspool-plugin.3" | sed '1d;$d' |
	sed -e 's/\\-/-/g' -e 's/^\\&//' -e 's/\\e/\\/g' >"$TMP/from-man.c"
check "feedspool-plugin(3) shows plugins/example/example.c" \
	cmp -s "$TMP/from-man.c" "$top_srcdir/plugins/example/example.c"

# the example, built out of the tree
mkdir -p "$TMP/conf"
check "the example builds with pkg-config's flags" \
	$CC -shared -fPIC -Wall -Wextra -Werror $cflags -o "$TMP/conf/example.so" \
	"$top_srcdir/plugins/example/example.c"

cat >"$TMP/conf/example.conf" <<EOF
# the example plugin by a path relative to this file, the installed topic plugin by name
[filter no-apache]
plugin = ./example.so
word = APACHE
tag = apache-news

[filter dgx]
plugin = topic
rules = $topics/dgx-spark.rules
mode = annotate
EOF
FEEDSPOOL_PLUGIN_DIR=$plugins "$bin" filter -c "$TMP/conf/example.conf" --all \
	"$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" "$SEEDS/outlet-c.rdf" >"$TMP/all" 2>"$TMP/err"
expect_eq "feedspool filter --all exits 0" "$?" 0
expect_eq "nothing on stderr" "$(cat "$TMP/err")" ""
expect_eq "one line per article" "$(wc -l <"$TMP/all" | tr -d ' ')" 11
expect_eq "the example drops the Apache Spark article, and only it" \
	"$(jq -r 'select(.verdict == "drop") | [.title, .dropped_by] | @tsv' "$TMP/all")" \
	"Apache Spark 4.0 turns on ANSI SQL mode by default	no-apache"
expect_eq "its tag and reason" \
	"$(jq -r 'select(.verdict == "drop") | [.tags[0], .reason] | @tsv' "$TMP/all")" \
	"apache-news	no-apache: the title has the configured word"
expect_eq "the others are kept, not dropped by anyone" \
	"$(jq -r 'select(.verdict == "keep" and .dropped_by == null) | .id' "$TMP/all" | wc -l | tr -d ' ')" 10
expect_eq "annotate mode: the seven DGX Spark articles carry the topic" \
	"$(jq -r 'select(.topics[0].name == "dgx-spark" and .topics[0].score >= 10) | .id' "$TMP/all" | wc -l | tr -d ' ')" 7

FEEDSPOOL_PLUGIN_DIR=$plugins "$bin" filter -c "$TMP/conf/example.conf" \
	"$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" "$SEEDS/outlet-c.rdf" >"$TMP/kept" 2>"$TMP/err"
expect_eq "without --all the dropped article is not printed" "$(wc -l <"$TMP/kept" | tr -d ' ')" 10

# unless = TAG: an earlier filter (here a Lua script) vouching for an article saves it
printf 'function filter(a) return "keep", nil, {"trusted"} end\n' >"$TMP/conf/vouch.lua"
cat >"$TMP/conf/unless.conf" <<EOF
[filter vouch]
plugin = lua
script = vouch.lua

[filter no-apache]
plugin = ./example.so
word = APACHE
unless = trusted
EOF
FEEDSPOOL_PLUGIN_DIR=$plugins "$bin" filter -c "$TMP/conf/unless.conf" --all \
	"$SEEDS/outlet-a.rss" "$SEEDS/outlet-b.atom" "$SEEDS/outlet-c.rdf" >"$TMP/unless" 2>"$TMP/err"
expect_eq "unless: an article an earlier filter tagged is kept, with the reason" \
	"$(jq -r 'select(.title | startswith("Apache")) | [.verdict, .reason] | @tsv' "$TMP/unless")" \
	"keep	no-apache: the title has the word, but an earlier filter vouched"

# an init failure is a configuration error naming the section's file and line
printf '[filter no-apache]\nplugin = ./example.so\ncolour = red\n' >"$TMP/conf/bad.conf"
"$bin" filter -c "$TMP/conf/bad.conf" "$SEEDS/outlet-a.rss" >"$TMP/out" 2>"$TMP/err"
expect_eq "a configuration error exits 1" "$?" 1
expect_eq "it prints no article" "$(cat "$TMP/out")" ""
case $(cat "$TMP/err") in
*"bad.conf:1: filter no-apache: unknown option 'colour' (word, tag, unless)"*) checks=$((checks + 1)) ;;
*) fail "the init error names file, line and filter: got '$(cat "$TMP/err")'" ;;
esac
finish

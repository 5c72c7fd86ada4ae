#!/bin/sh
# SPDX-License-Identifier: MIT
# Differential test of "feedspool date" against python3-feedparser's date handlers, over dates
# generated from a fixed seed by tests/tools/date_diff.py (skipped without python3-feedparser).
# Needs FEEDSPOOL, the absolute path of the built program (automake's harness sets it).

if [ -z "$FEEDSPOOL" ] || [ ! -x "$FEEDSPOOL" ]; then
	echo "date_diff.sh: FEEDSPOOL must name the built feedspool program" >&2
	exit 99
fi
# Debian's python3, which python3-feedparser installs into, whatever python3 comes first in PATH
py=/usr/bin/python3
if ! "$py" -c 'import feedparser' 2>/dev/null; then
	echo "date_diff.sh: python3-feedparser is not installed; skipped" >&2
	exit 77
fi
# the reference is Debian 12's feedparser 6.0: the harness reads its handlers' internals
if ! "$py" -c 'import feedparser, sys; sys.exit(not feedparser.__version__.startswith("6.0."))'; then
	echo "date_diff.sh: python3-feedparser is not 6.0.x; skipped" >&2
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
exec "$py" "$here/tools/date_diff.py" "$FEEDSPOOL" --seed 1 --count 300

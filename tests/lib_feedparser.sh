# SPDX-License-Identifier: MIT
# Sourced by the differential tests against python3-feedparser (date_diff.sh, norm_diff.sh),
# with NAME set to the test's name: checks FEEDSPOOL (the built program, set by automake's
# harness), skips the test (77) without Debian 12's python3-feedparser 6.0.x, and sets py and here.

if [ -z "$FEEDSPOOL" ] || [ ! -x "$FEEDSPOOL" ]; then
	echo "$NAME: FEEDSPOOL must name the built feedspool program" >&2
	exit 99
fi
# Debian's python3, which python3-feedparser installs into, whatever python3 comes first in PATH
py=/usr/bin/python3
if ! "$py" -c 'import feedparser' 2>/dev/null; then
	echo "$NAME: python3-feedparser is not installed; skipped" >&2
	exit 77
fi
# the reference is Debian 12's feedparser 6.0: the harnesses read its internals
if ! "$py" -c 'import feedparser, sys; sys.exit(not feedparser.__version__.startswith("6.0."))'; then
	echo "$NAME: python3-feedparser is not 6.0.x; skipped" >&2
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)

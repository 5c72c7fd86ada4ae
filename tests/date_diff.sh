#!/bin/sh
# SPDX-License-Identifier: MIT
# Differential test of "feedspool date" against python3-feedparser's date handlers, over dates
# generated from a fixed seed by tests/tools/date_diff.py (skipped without python3-feedparser).
# Needs FEEDSPOOL, the absolute path of the built program (automake's harness sets it).

NAME=date_diff.sh
. "$(dirname "$0")/lib_feedparser.sh"
exec "$py" "$here/tools/date_diff.py" "$FEEDSPOOL" --seed 1 --count 300

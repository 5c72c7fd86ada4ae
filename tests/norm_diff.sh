#!/bin/sh
# SPDX-License-Identifier: MIT
# Differential test of "feedspool parse --document" against python3-feedparser, over RSS, Atom,
# RDF and CDF documents generated from a fixed seed by tests/tools/norm_diff.py (skipped
# without python3-feedparser).
# Needs FEEDSPOOL, the absolute path of the built program (automake's harness sets it).

NAME=norm_diff.sh
. "$(dirname "$0")/lib_feedparser.sh"
exec "$py" "$here/tools/norm_diff.py" "$FEEDSPOOL" --seed 1 --count 60

#!/bin/sh
# SPDX-License-Identifier: MIT
# content_html against Python feedparser's sanitizer cases (tests/fixtures/sanitize/, copied from
# shared/corpus/feedparser/cases/wellformed/sanitize/): nothing dangerous survives, the text and
# the http(s) URLs feedparser keeps are kept (tests/tools/check_sanitize.py says how).
. "${top_srcdir:-.}/tests/lib.sh"
need python3
python3 "${top_srcdir:-.}/tests/tools/check_sanitize.py" "$FEEDSPOOL" "$FIXTURES/sanitize" >"$TMP/out" 2>&1
rc=$?
tail -n 20 "$TMP/out"
expect_eq "every sanitizer case passes" "$rc" 0
finish

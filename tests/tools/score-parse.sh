#!/bin/sh
# SPDX-License-Identifier: MIT
# Adapter for shared/tools/score_corpus.py: its HTTP cases pass the URL and response headers a
# document was served with in FEED_URL and FEED_HEADERS (JSON); feedspool takes them as --url and
# --content-type. Usage: score-parse.sh FEEDSPOOL FILE
fs=$1
file=$2
set -- parse --document
[ -n "${FEED_URL:-}" ] && set -- "$@" --url "$FEED_URL"
if [ -n "${FEED_HEADERS:-}" ]; then
	# an absolute Content-Location is the document's address (RFC 9110 8.7)
	loc=$(printf '%s' "$FEED_HEADERS" | jq -r 'to_entries[] | select(.key | ascii_downcase == "content-location") | .value' | head -1)
	case $loc in http://* | https://*) set -- "$@" --url "$loc" ;; esac
	ct=$(printf '%s' "$FEED_HEADERS" | jq -r 'to_entries[] | select(.key | ascii_downcase == "content-type") | .value' | head -1)
	[ -n "$ct" ] && set -- "$@" --content-type "$ct"
fi
exec "$fs" "$@" "$file"

#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes an RSS 2.0 feed of N bare items (<item><guid>PREFIX-n</guid></item>) to stdout: the
# smallest items a feed can hold, so that a feed under the size cap holds the most of them.
# Used by the memory, stop, fairness and reload tests and by tests/bench/daemon-memory.sh.
# Usage: gen_bare_feed.sh N [PREFIX]
awk -v n="${1:-1000}" -v p="${2:-i}" 'BEGIN {
	print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	print "<rss version=\"2.0\"><channel><title>Bare</title><link>https://bare.example/</link>"
	for (i = 0; i < n; i++)
		printf "<item><guid>%s-%d</guid></item>\n", p, i
	print "</channel></rss>"
}'

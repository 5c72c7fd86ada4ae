#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes an RSS 2.0 feed of about MEGABYTES MiB to stdout: items with HTML content, so that the
# whole pipeline (charset, XML, HTML to text, JSON) is exercised. Used by the memory test and the
# benchmark. Usage: gen_big_feed.sh MEGABYTES
mb=${1:-100}
awk -v mb="$mb" 'BEGIN {
	print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	print "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>"
	print "<title>Big feed</title><link>https://big.example/</link>"
	para = "<p>Lorem ipsum dolor sit amet, consectetur <b>adipiscing</b> elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua &amp; more.</p>"
	body = ""
	for (i = 0; i < 20; i++) body = body para "\n"
	limit = mb * 1048576
	for (n = 0; total < limit; n++) {
		item = sprintf("<item><title>Item %d &#8212; a title</title><link>https://big.example/items/%d</link><guid>big-%d</guid><pubDate>Mon, 03 Nov 2025 10:%02d:00 GMT</pubDate><description>Summary of item %d</description><content:encoded><![CDATA[%s]]></content:encoded></item>", n, n, n, n % 60, n, body)
		print item
		total += length(item) + 1
	}
	print "</channel></rss>"
}'

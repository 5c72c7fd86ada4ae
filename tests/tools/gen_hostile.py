#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes one hostile feed document to stdout, for tests/hostile_docs.sh.

Usage: gen_hostile.py CASE [MEGABYTES]

Every case holds an ordinary item before the attack (and most one after), so that a test can
tell what was kept. Written in chunks: memory stays small whatever the size.
"""
import sys

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>hostile</title>\n'
BEFORE = b"<item><guid>before</guid><title>before</title><description>kept</description></item>\n"
AFTER = b"<item><guid>after</guid><title>after</title></item>\n"
TAIL = b"</channel></rss>\n"


def repeat(out, chunk, total):
    """Writes chunk again and again until total bytes are out."""
    big = chunk * max(1, (1 << 20) // len(chunk))
    n = 0
    while n + len(big) <= total:
        out.write(big)
        n += len(big)
    while n < total:
        out.write(chunk)
        n += len(chunk)


def main():
    case = sys.argv[1]
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    out = sys.stdout.buffer
    if case == "text-node":
        # one text node of MEGABYTES MiB: an escaped-HTML description
        out.write(HEAD + BEFORE + b"<item><guid>huge</guid><title>huge</title><description>")
        repeat(out, b"lorem ipsum &lt;b&gt;dolor&lt;/b&gt; sit amet ", mb << 20)
        out.write(b"</description></item>\n" + AFTER + TAIL)
    elif case == "cdata":
        # one CDATA section of MEGABYTES MiB
        out.write(HEAD + BEFORE + b"<item><guid>huge</guid><title>huge</title><description><![CDATA[")
        repeat(out, b"<p>lorem ipsum dolor sit amet</p>", mb << 20)
        out.write(b"]]></description></item>\n" + AFTER + TAIL)
    elif case == "items":
        # MEGABYTES is a count of items here
        out.write(HEAD)
        for i in range(mb):
            out.write(b"<item><guid>i%d</guid><title>Item %d</title></item>\n" % (i, i))
        out.write(TAIL)
    elif case == "nesting":
        out.write(HEAD + BEFORE)
        repeat(out, b"<x>", 3 * mb)
        out.write(TAIL)
    elif case == "endless":
        # never ends: items for ever (the reader stops it)
        out.write(HEAD)
        try:
            while True:
                out.write(b"<item><title>again</title><description>and again</description></item>\n" * 1000)
        except BrokenPipeError:
            sys.stderr.close()
    elif case == "bad-utf8":
        out.write(HEAD + BEFORE)
        out.write(b"<item><guid>bad</guid><title>caf\xc3\xa9 \xff\xfe and \xc3\x28 and \xed\xa0\x80 end</title></item>\n")
        out.write(AFTER + TAIL)
    elif case == "nul":
        out.write(HEAD + BEFORE)
        out.write(b"<item><guid>nul</guid><title>nul\x00 and \x01\x1b controls</title></item>\n")
        out.write(AFTER + TAIL)
    elif case == "mixed":
        # declared UTF-8, one title in UTF-8 and one in windows-1252, one double-encoded
        out.write(HEAD + BEFORE)
        out.write(b"<item><guid>utf8</guid><title>caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d</title></item>\n")
        out.write(b"<item><guid>cp1252</guid><title>caf\xe9 \x93quoted\x94</title></item>\n")
        out.write(b"<item><guid>double</guid><title>caf\xc3\x83\xc2\xa9</title></item>\n")
        out.write(AFTER + TAIL)
    elif case == "html-tables":
        # 100,000 nested tables, none closed (MEGABYTES is ignored)
        out.write(HEAD + BEFORE + b"<item><guid>tables</guid><title>tables</title><description><![CDATA[")
        out.write(b"<table><tr><td>" * 100000)
        out.write(b"deep cell]]></description></item>\n" + AFTER + TAIL)
    elif case == "html-unclosed":
        out.write(HEAD + BEFORE + b"<item><guid>unclosed</guid><title>unclosed</title><description>")
        out.write(b"&lt;p&gt;first &lt;b&gt;bold &lt;i&gt;both &lt;div&gt;&lt;ul&gt;&lt;li&gt;one &lt;li&gt;two")
        out.write(b" &lt;a href='x'&gt;link &lt;script&gt;alert(1)")
        out.write(b"</description></item>\n" + AFTER + TAIL)
    elif case == "html-attribute":
        # a 10 MB attribute inside the escaped HTML of a JSON-free RSS description
        out.write(HEAD + BEFORE + b"<item><guid>attr</guid><title>attr</title><description>")
        out.write(b"before the image &lt;img alt=&quot;")
        repeat(out, b"a", mb << 20)
        out.write(b"&quot;&gt; after the image</description></item>\n" + AFTER + TAIL)
    elif case == "parameter-entities":
        # parameter entities that would pull in a file and expand recursively
        out.write(b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n')
        out.write(b'<!ENTITY % file SYSTEM "file:///etc/passwd">\n')
        out.write(b'<!ENTITY % wrap "<!ENTITY leak \'%file;\'>">\n')
        out.write(b"%wrap;\n]>\n<rss><channel><title>p</title>\n" + BEFORE)
        out.write(b"<item><title>&leak;</title></item>\n" + TAIL)
    else:
        sys.exit("gen_hostile.py: unknown case " + case)


main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks content_html against Python feedparser's sanitizer cases (tests/fixtures/sanitize/,
copied from shared/corpus/feedparser/cases/wellformed/sanitize/, the entry-level ones).

For each case, `feedspool parse --document` must give the first article a content_html that
 1. holds nothing dangerous: no script, style, frame, object, embed, form or input element, no
    event handler or style attribute, no javascript:/vbscript:/data: URL, no comment;
 2. reads as the same text as feedparser's sanitized HTML (both converted to text the way
    shared/tools/score_corpus.py does, whitespace ignored), except for the cases listed in
    KNOWN with the reason;
 3. keeps every http(s) link and image URL that feedparser's output keeps.
Usage: check_sanitize.py FEEDSPOOL DIR
"""
import ast
import html
import html.parser
import json
import os
import re
import subprocess
import sys

# Where feedparser's output is not what a reader sees, and ours is.
KNOWN = {
    # feedparser's sgmllib takes "<script\n\n>" for text and keeps the script's source, and keeps
    # the text of <title>; a browser (and libxml2) runs the script and shows no title.
    "entry_summary_crazy.xml", "item_content_encoded_crazy.xml",
    "item_description_crazy.xml", "item_fullitem_crazy.xml", "entry_content_crazy.xml",
    "item_body_crazy.xml", "item_xhtml_body_crazy.xml",
}

DANGER = [
    (re.compile(r"<\s*/?\s*(script|style|iframe|frame|frameset|object|embed|applet|form|input|"
                r"button|textarea|select|meta|link|base|svg|math)\b", re.I), "dangerous element"),
    (re.compile(r"<[^>]*\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"<[^>]*\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"=\s*\"\s*(javascript|vbscript|data)\s*:", re.I), "unsafe URL"),
    (re.compile(r"<!--"), "comment"),
]

SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title"}


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def text_of(s):
    p = Text()
    p.feed(s or "")
    p.close()
    return re.sub(r"\s+", "", "".join(p.parts))


def urls_of(s):
    return {html.unescape(u) for u in re.findall(r'\b(?:href|src)="(https?://[^"]*)"', s or "")}


def expected_of(path):
    """The string the Expect line compares entries[0]'s field with, or None."""
    with open(path, encoding="utf-8") as fh:
        m = re.search(r"^Expect:\s*(.*)$", fh.read(), re.M)
    if not m:
        return None
    tree = ast.parse(m.group(1), mode="eval")
    for node in ast.walk(tree):
        left = ast.unparse(node.left) if isinstance(node, ast.Compare) else ""
        if "entries" in left and "title" not in left:
            right = node.comparators[0]
            # only string literals and their concatenations
            if all(isinstance(n, (ast.Constant, ast.BinOp, ast.Add)) for n in ast.walk(right)):
                return eval(compile(ast.Expression(right), path, "eval"), {"__builtins__": {}})
    return None


def main():
    fs, folder = sys.argv[1], sys.argv[2]
    failed = checked = 0
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".xml"):
            continue
        path = os.path.join(folder, name)
        expected = expected_of(path)
        if not isinstance(expected, str):
            continue
        out = subprocess.run([fs, "parse", "--document", "--url", "http://example.com/feed", path],
                             capture_output=True, text=True)
        arts = json.loads(out.stdout or "{}").get("articles") or [{}]
        ours = arts[0].get("content_html") or ""
        problems = [why for rx, why in DANGER if rx.search(ours)]
        if name not in KNOWN and text_of(ours) != text_of(expected):
            problems.append("text differs from feedparser's: %r vs %r" % (text_of(ours)[:80],
                                                                          text_of(expected)[:80]))
        lost = urls_of(expected) - urls_of(ours)
        if lost:
            problems.append("URLs lost: %s" % sorted(lost))
        checked += 1
        if problems:
            failed += 1
            print("FAIL %s: %s\n  ours: %r" % (name, "; ".join(problems), ours[:200]))
    print("%d passed, %d failed" % (checked - failed, failed))
    return 1 if failed or checked < 100 else 0


if __name__ == "__main__":
    sys.exit(main())

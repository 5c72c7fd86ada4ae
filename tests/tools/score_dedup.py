#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Scores dedup on a labelled set (tests/fixtures/dedup/labelled.json) through the real daemon
# path: each case's feeds are written as RSS files, fetched by `feedspool once` from file: URLs
# into a fresh state and spool, and the articles that land in new/ are counted. Prints the
# figures per category and, with --json, a summary line for the test to check.
import argparse, collections, json, os, subprocess, sys, tempfile
from xml.sax.saxutils import escape

def rss(items):
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<rss version="2.0"><channel>',
           '<title>feed</title><link>https://feed.example/</link><description>d</description>']
    for n, it in enumerate(items):
        body = "".join(f"<p>{escape(p)}</p>" for p in it["body"].split("\n\n") if p)
        out.append("<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid>"
                   "<pubDate>Mon, 0%d Jan 2024 10:00:00 GMT</pubDate>%s</item>" % (
                       escape(it["title"]), escape(it["link"]), escape(it["guid"]), 1 + n % 9,
                       f"<description>{escape(body)}</description>" if body else ""))
    out.append("</channel></rss>")
    return "\n".join(out)

def run_case(feedspool, case, tmp, verbose):
    feeds = collections.OrderedDict()
    for it in case["items"]:
        feeds.setdefault(it["feed"], []).append(it)
    conf = ["[feedspool]", f"state = {tmp}/state.db", f"spool = {tmp}/spool", "allow_file_urls = yes"]
    for name, items in feeds.items():
        path = os.path.join(tmp, name + ".xml")
        with open(path, "w") as f:
            f.write(rss(items))
        conf += [f"[feed {name}]", f"url = file://{path}"]
    with open(os.path.join(tmp, "feedspool.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    p = subprocess.run([feedspool, "once", "-v", "-c", os.path.join(tmp, "feedspool.conf")],
                       capture_output=True, text=True)
    new = os.path.join(tmp, "spool", "new")
    n = len([f for f in os.listdir(new) if f.endswith(".json")]) if os.path.isdir(new) else 0
    if verbose:
        sys.stderr.write("".join(l + "\n" for l in p.stderr.splitlines() if "near" in l))
    return n, p.returncode

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("set")
    ap.add_argument("--feedspool", required=True)
    ap.add_argument("--json", action="store_true", help="print a summary line as JSON")
    ap.add_argument("--show", action="store_true", help="print every case that misses")
    a = ap.parse_args()
    cases = json.load(open(a.set))["cases"]
    per = collections.OrderedDict()
    lost = stories = once = groups = 0
    for k, case in enumerate(cases):
        with tempfile.TemporaryDirectory() as tmp:
            n, rc = run_case(a.feedspool, case, tmp, False)
        if rc not in (0, 1):
            print(f"case {k}: feedspool once exited {rc}", file=sys.stderr)
            return 2
        c = per.setdefault((case["kind"], case["category"]), [0, 0, 0])
        c[0] += 1
        if case["kind"] == "distinct":
            want = len(case["items"])
            stories += want
            lost += want - n
            c[1] += want
            c[2] += n
            miss = n != want
        else:
            groups += 1
            once += n == 1
            c[1] += 1
            c[2] += n == 1
            miss = n != 1
        if miss and a.show:
            print(f"MISS case {k} ({case['kind']}, {case['category']}): {n} written of "
                  f"{len(case['items'])} items: {[i['title'][:50] for i in case['items']]}",
                  file=sys.stderr)
    for (kind, cat), (n, want, got) in per.items():
        if kind == "distinct":
            print(f"distinct  {cat:34} {n:3} cases: {got}/{want} stories written, {want - got} lost")
        else:
            print(f"same      {cat:34} {n:3} cases: {got}/{want} groups written once")
    pct = 100.0 * once / groups if groups else 100.0
    print(f"total: {len(cases)} cases; distinct stories lost {lost} of {stories}; "
          f"same-story groups written once {once} of {groups} ({pct:.1f}%)")
    if a.json:
        print(json.dumps({"lost": lost, "stories": stories, "once": once, "groups": groups}))
    return 0

sys.exit(main())

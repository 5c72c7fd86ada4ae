#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Compare feedspool's article counts (and first titles) with Python feedparser's on a corpus.

Usage: tests/tools/corpus_counts.py FEEDSPOOL DIR [--titles]
Needs Debian's python3-feedparser (/usr/bin/python3). Prints one line per file whose count
differs, then a summary. Used for the closing notes of the normalizer; not part of `make check`
because the corpus (../shared/corpus/real-feeds) is not redistributable in this repository.
"""
import json
import os
import subprocess
import sys

import feedparser


def feedspool(binary, path):
    p = subprocess.run([binary, "parse", "--document", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    try:
        doc = json.loads(p.stdout.decode("utf-8"))
    except ValueError:
        doc = {"articles": []}
    return p.returncode, doc, p.stderr.decode("utf-8", "replace").strip()


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    show_titles = "--titles" in sys.argv
    same = differ = failed = 0
    for name in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, name)
        if not os.path.isfile(path) or name.endswith((".tsv", ".txt")):
            continue
        rc, doc, err = feedspool(binary, path)
        fp = feedparser.parse(path)
        n_fs, n_fp = len(doc.get("articles", [])), len(fp.entries)
        if rc != 0:
            failed += 1
            print(f"ERROR  {name}: rc={rc} {err}")
        if n_fs == n_fp:
            same += 1
        else:
            differ += 1
            print(f"COUNT  {name}: feedspool {n_fs}, feedparser {n_fp}"
                  f" (bozo: {fp.get('bozo_exception', '')!s:.80})")
        if show_titles and doc.get("articles"):
            t_fs = doc["articles"][0].get("title")
            t_fp = fp.entries[0].get("title") if fp.entries else None
            print(f"TITLE  {name}: {t_fs!r:.70} | {t_fp!r:.70}")
    print(f"{same} files with the same count, {differ} differ, {failed} failed")


if __name__ == "__main__":
    main()

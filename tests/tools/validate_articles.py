#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Validates article JSON against etc/feedspool-article.schema.json (python3-jsonschema): spool
# files given as paths, or JSON lines on stdin with "-". Prints "FILE: where: message" for each
# invalid one and "N valid" at the end; exit 1 when any was invalid, 77 without jsonschema.
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(77)


def main():
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    bad = good = 0

    def check(name, text):
        nonlocal bad, good
        try:
            doc = json.loads(text)
        except ValueError as e:
            print("%s: not JSON: %s" % (name, e))
            bad += 1
            return
        errors = list(validator.iter_errors(doc))
        for e in errors[:3]:
            print("%s: %s: %s" % (name, "/".join(map(str, e.absolute_path)) or "(top)", e.message))
        bad += bool(errors)
        good += not errors

    for path in sys.argv[2:]:
        if path == "-":
            for n, line in enumerate(sys.stdin, 1):
                if line.strip():
                    check("stdin:%d" % n, line)
        else:
            with open(path, encoding="utf-8") as f:
                check(path, f.read())
    print("%d valid" % good)
    return 1 if bad else 0


sys.exit(main())

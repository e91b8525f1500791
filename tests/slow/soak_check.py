#!/usr/bin/python3
"""soak_check.py — check chaff's JSONL output against its input for make soak.

Usage: soak_check.py INPUT OUTPUT

One line out per line in, ids in order ({"id":N, from 1), and every byte
outside the value of the last "text" member identical: a line that is not
JSON, or whose text was not changed, comes out as it went in; a cleaned
line keeps everything before its last "text" member and its line end (CR
included), and is valid JSON.  Prints a summary; exit 1 on the first
mismatch, with its line number.
"""
import json
import re
import sys

ID = re.compile(rb'^\{"id":(\d+),')


def fail(n, why):
    print("soak: line %d: %s" % (n, why))
    sys.exit(1)


def main():
    n = changed = 0
    with open(sys.argv[1], "rb") as fi, open(sys.argv[2], "rb") as fo:
        for a in fi:
            b = fo.readline()
            n += 1
            if not b:
                fail(n, "output ends early")
            m = ID.match(b)
            if not m or int(m.group(1)) != n:
                fail(n, "id out of order or missing: %r" % b[:40])
            if a == b:
                continue
            changed += 1
            k = a.rfind(b'"text":')
            if k < 0 or a[:k] != b[:k]:
                fail(n, "bytes before the text field changed")
            end_a = b"\r\n" if a.endswith(b"\r\n") else a[-1:]
            end_b = b"\r\n" if b.endswith(b"\r\n") else b[-1:]
            if end_a != end_b:
                fail(n, "line end changed: %r -> %r" % (end_a, end_b))
            try:
                json.loads(b)
            except ValueError as e:
                fail(n, "cleaned line is not JSON: %s" % e)
        if fo.readline():
            fail(n + 1, "output has more lines than the input")
    print("soak: %d records in, %d out, ids in order, %d cleaned, other bytes identical" % (n, n, changed))


main()

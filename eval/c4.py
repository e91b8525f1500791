#!/usr/bin/env python3
"""C4-style line filter: the reference point chaff is measured against.

  c4.py INDIR OUTDIR

For every INDIR/<id>.txt (not *.gold.txt) writes OUTDIR/<id>.txt holding, in
order, the lines that end in terminal punctuation (. ! ? " ' and the
typographic quotes ” ’) and have at least three white-space separated words,
less the lines C4 also drops: those mentioning javascript or a site policy
("privacy policy", "uses cookies", ...).  These are the line rules of the C4
corpus (Raffel et al. 2020), without its page-level rules.  They are
English-centred by design: unspaced Chinese lines count as one word and end
in '。', so they are dropped, which is the failure chaff is meant to avoid.
"""
import os
import sys

TERMINAL = ('.', '!', '?', '"', "'", '\u201d', '\u2019')
BANNED = ("javascript", "terms of use", "privacy policy", "cookie policy", "uses cookies",
          "use of cookies", "use cookies")


def keep(line):
    s = line.strip()
    if not s.endswith(TERMINAL) or len(s.split()) < 3:
        return False
    low = s.lower()
    return not any(b in low for b in BANNED)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: c4.py INDIR OUTDIR")
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    n = 0
    for name in sorted(os.listdir(src)):
        if not name.endswith(".txt") or name.endswith(".gold.txt"):
            continue
        with open(os.path.join(src, name), encoding="utf-8", errors="replace") as f:
            lines = [l.strip() for l in f if keep(l)]
        with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in lines))
        n += 1
    print(f"c4: {n} documents from {src}", file=sys.stderr)


if __name__ == "__main__":
    main()

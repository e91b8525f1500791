#!/usr/bin/env python3
"""same.py — does a change move chaff's decisions?  Output before and after, page by page.

  same.py snap NAME [--chaff CMD] [--eval-dir DIR] [--out DIR] [--jobs N] [-- CHAFF-ARGS...]
  same.py diff OLD NEW [--out DIR] [--show N]

`snap` cleans every page of every evaluation folder (the same JSONL batch
runs as evaluate.py) and every golden fixture's input, and keeps the
outputs under OUT/NAME/.  `diff` compares two snapshots page by page and
prints, per folder, how many pages came out differently and how many lines
each side kept that the other did not, then the first N differing pages
with their changed lines.  Exit status: 0 when the snapshots are identical,
1 when any page differs, 2 on a usage error.

    make same-ref   # before the change: snapshot "ref" of build/chaff
    make same       # after it: snapshot "new", compared with "ref"

Speed work must leave every page as it was; a deliberate decision change
shows here page by page and is named in its commit.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate  # noqa: E402  (the same batch runs and page lists)

TOP = evaluate.TOP


def snap(a):
    cmd = a.chaff.split()
    dest = os.path.join(a.out, a.name)
    failed = False
    for s in evaluate.SETS:
        folder = os.path.join(a.eval_dir, s)
        if not os.path.isdir(folder):
            sys.exit("same: %s: no such folder" % folder)
        man = evaluate.manifest(folder)
        docs = [(i, man.get(i, ("", ""))[0], evaluate.read(os.path.join(folder, i + ".txt")))
                for i in evaluate.pages(folder)]
        tag = s.replace("/", "-")
        ok, dt = evaluate.run_chaff(cmd, a.extra, a.jobs, docs, os.path.join(dest, tag),
                                    os.path.join(dest, tag + ".stderr"))
        failed |= not ok
        sys.stderr.write("same: %-17s %5d pages %6.1f s\n" % (s, len(docs), dt))
    fdir = os.path.join(TOP, "tests", "fixtures")
    docs = []
    for name in sorted(os.listdir(fdir)):
        p = os.path.join(fdir, name, "input")
        if os.path.isfile(p) and os.path.getsize(p) < (1 << 20):
            docs.append((name, "", evaluate.read(p)))
    ok, _ = evaluate.run_chaff(cmd, a.extra, a.jobs, docs, os.path.join(dest, "fixtures"),
                               os.path.join(dest, "fixtures.stderr"))
    failed |= not ok
    return 1 if failed else 0


def lines_of(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().split("\n")
    except FileNotFoundError:
        return None


def diff(a):
    old_dir, new_dir = os.path.join(a.out, a.old), os.path.join(a.out, a.new)
    for d in (old_dir, new_dir):
        if not os.path.isdir(d):
            sys.exit("same: no snapshot %s (run `same.py snap`)" % d)
    tags = sorted(t for t in os.listdir(old_dir) if os.path.isdir(os.path.join(old_dir, t)))
    shown = 0
    any_diff = False
    print("%-20s %6s %8s %10s %10s" % ("folder", "pages", "differ", "only old", "only new"))
    examples = []
    for t in tags:
        names = sorted(os.listdir(os.path.join(old_dir, t)))
        n_diff = only_old = only_new = 0
        for n in names:
            o = lines_of(os.path.join(old_dir, t, n))
            w = lines_of(os.path.join(new_dir, t, n))
            if o == w:
                continue
            n_diff += 1
            w = w or []
            so, sw = set(o), set(w)
            lo = [x for x in o if x not in sw and x.strip()]
            ln = [x for x in w if x not in so and x.strip()]
            only_old += len(lo)
            only_new += len(ln)
            if shown < a.show:
                shown += 1
                examples.append((t, n, lo, ln))
        any_diff |= n_diff > 0
        print("%-20s %6d %8d %10d %10d" % (t, len(names), n_diff, only_old, only_new))
    for t, n, lo, ln in examples:
        print("\n== %s/%s" % (t, n))
        for x in lo[:5]:
            print("- " + x[:160])
        for x in ln[:5]:
            print("+ " + x[:160])
    return 1 if any_diff else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("snap")
    s.add_argument("name")
    s.add_argument("--chaff", default=os.environ.get("CHAFF", os.path.join(TOP, "build", "chaff")))
    s.add_argument("--eval-dir", default=os.environ.get("CHAFF_EVAL_DIR",
                                                        os.path.join(TOP, "..", "shared", "eval")))
    s.add_argument("--jobs", type=int, default=int(os.environ.get("EVAL_JOBS", "2")))
    s.add_argument("extra", nargs="*")
    d = sub.add_parser("diff")
    d.add_argument("old")
    d.add_argument("new")
    d.add_argument("--show", type=int, default=5)
    for p in (s, d):
        p.add_argument("--out", default=os.path.join(TOP, "build", "same"))
    a = ap.parse_args()
    return snap(a) if a.verb == "snap" else diff(a)


if __name__ == "__main__":
    sys.exit(main())

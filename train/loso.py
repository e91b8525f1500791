#!/usr/bin/env python3
"""loso.py — leave-one-set-out: how the line model does on a folder it never saw.

  loso.py [--chaff CMD] [--sets a,b] [--out DIR]

For each evaluation folder, train.py trains a model on the other folders
(--hold-out), then evaluate.py runs chaff with that model (--model) on the
folder left out.  Printed beside the in-sample figure (the model trained on
every folder, i.e. the one built into chaff, on the same folder) and the
gap; OUT/loso.tsv keeps the rows.  Slow: one training per folder.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "eval"))
import evaluate  # noqa: E402


def f1_rows(chaff, sets, extra, out):
    cmd = [sys.executable, os.path.join(TOP, "eval", "evaluate.py"), "--chaff", chaff,
           "--sets", ",".join(sets), "--out", out, "--json"] + (["--"] + extra if extra else [])
    p = subprocess.run(cmd, stdout=subprocess.PIPE, check=True)
    return {(r["set"], r["subset"]): r["F1"] for r in json.loads(p.stdout) if r["method"] == "chaff"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chaff", default=os.path.join(TOP, "build", "chaff"))
    ap.add_argument("--sets", default="")
    ap.add_argument("--out", default=os.path.join(TOP, "train", "data", "loso"))
    a = ap.parse_args()
    sets = [s for s in a.sets.split(",") if s] or evaluate.SETS
    os.makedirs(a.out, exist_ok=True)
    inside = f1_rows(a.chaff, sets, [], os.path.join(a.out, "in-sample"))
    rows = []
    for s in sets:
        tag = s.replace("/", "-")
        model = os.path.join(a.out, tag + ".model")
        subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--hold-out", tag,
                        "--out", model], check=True)
        got = f1_rows(a.chaff, [s], ["--model", model], os.path.join(a.out, tag))
        for (set_name, subset), f1 in sorted(got.items()):
            rows.append((set_name, subset, inside.get((set_name, subset), float("nan")), f1))
        print("loso: %s done" % s, file=sys.stderr)
    with open(os.path.join(a.out, "loso.tsv"), "w") as f:
        f.write("set\tsubset\tin_sample_F1\tleft_out_F1\tgap\n")
        for r in rows:
            f.write("%s\t%s\t%.4f\t%.4f\t%.4f\n" % (r + (r[2] - r[3],)))
    print("%-18s %-14s %9s %9s %6s" % ("set", "subset", "in-sample", "left-out", "gap"))
    for r in rows:
        print("%-18s %-14s %9.3f %9.3f %+6.3f" % (r[0], r[1], r[2], r[3], r[3] - r[2]))


if __name__ == "__main__":
    main()

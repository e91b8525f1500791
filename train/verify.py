#!/usr/bin/env python3
"""verify.py — check that chaff scores lines exactly as the trainer does.

  verify.py [--chaff CMD] [--model FILE] [--eval-dir DIR] [--pages N]

Runs chaff --dump-features (with --model FILE when given, else the model
built in) over the first N pages of every evaluation folder, then scores
the same rows in Python: the model file read by a small evaluator of its
own (tree walks on the dumped stage-1 features; stage 2 on common.feat2 of
those scores) and compares with the score chaff printed for each line.  A
difference beyond 1e-5 means the C features, the C tree walk, the model
writer or the Python twin of the stage-2 features disagree: exit 1.
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "eval"))
import evaluate  # noqa: E402
from common import FEAT2_NAMES, feat2  # noqa: E402


class Model:
    def __init__(self, path):
        self.stages = {}
        lines = [l.split() for l in open(path) if l.strip() and not l.startswith("!")]
        it = iter(lines)
        head = next(it)
        assert head[0] == "chaff-line-model" and head[1] == "1", head
        t = next(it)
        self.threshold = float(t[1])
        for w in it:
            if w[0] == "end":
                break
            assert w[0] == "stage", w
            k, n_in, n_trees, base = int(w[1]), int(w[3]), int(w[5]), float(w[7])
            inputs = [next(it)[1] for _ in range(n_in)]
            trees = []
            for _ in range(n_trees):
                n = int(next(it)[1])
                trees.append([next(it) for _ in range(n)])
            self.stages[k] = (inputs, base, trees)

    def score(self, k, X, names):
        inputs, base, trees = self.stages[k]
        col = [names.index(n) for n in inputs]
        raw = np.full(len(X), base)
        for tr in trees:
            for r in range(len(X)):
                i = 0
                while tr[i][0] == "node":
                    f, thr, left, right = int(tr[i][1]), float(tr[i][2]), int(tr[i][3]), int(tr[i][4])
                    i = left if float(X[r, col[f]]) <= thr else right
                raw[r] += float(tr[i][1])
        return 1.0 / (1.0 + np.exp(-raw))


class Rows:
    """What common.feat2 reads of a set, for the dumped rows."""

    def __init__(self, X, names, raw, doc):
        self.X, self.names, self.raw = X, names, raw
        self.col = {n: i for i, n in enumerate(names)}
        n_docs = int(doc.max()) + 1 if len(doc) else 0
        starts = np.searchsorted(doc, np.arange(n_docs + 1))
        self.rows = [(int(starts[d]), int(starts[d + 1])) for d in range(n_docs)]

    def f(self, name):
        return self.X[:, self.col[name]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chaff", default=os.path.join(TOP, "build", "chaff"))
    ap.add_argument("--model", default="")
    ap.add_argument("--eval-dir", default=os.environ.get("CHAFF_EVAL_DIR",
                                                         os.path.join(TOP, "..", "shared", "eval")))
    ap.add_argument("--pages", type=int, default=25)
    a = ap.parse_args()
    model = Model(a.model or os.path.join(TOP, "model", "line.model"))
    docs = []
    for s in evaluate.SETS:
        folder = os.path.join(a.eval_dir, s)
        for i in evaluate.pages(folder)[: a.pages]:
            with open(os.path.join(folder, i + ".txt"), encoding="utf-8", errors="replace") as f:
                docs.append({"id": s + "/" + i, "text": f.read()})
    cmd = a.chaff.split() + ["--dump-features", "-f", "jsonl"] + (["--model", a.model] if a.model else [])
    p = subprocess.run(cmd, input="".join(json.dumps(d) + "\n" for d in docs).encode(),
                       stdout=subprocess.PIPE, check=True)
    X, raw, doc, pc, names = [], [], [], [], None
    for d, rec in enumerate(p.stdout.decode().split("\n")[: len(docs)]):
        rows = json.loads(rec)["text"].split("\n")
        names = rows[0].split("\t")[6:-1]
        for r in rows[1:]:
            if not r:
                continue
            c = r.split("\t")
            X.append([float(v) for v in c[6:-1]])
            raw.append([int(c[3]), int(c[4]), int(c[5])])
            pc.append(float(c[2]))
            doc.append(d)
    X = np.asarray(X, np.float32)
    rows = Rows(X, names, np.asarray(raw), np.asarray(doc))
    p1 = model.score(1, X, names)
    X2 = np.hstack([feat2(rows, p1.astype(np.float32)), X])
    p2 = model.score(2, X2, FEAT2_NAMES + names)
    diff = np.abs(p2 - np.asarray(pc))
    worst = float(diff.max()) if len(diff) else 0.0
    print("verify: %d pages, %d lines; largest difference between chaff's score and the "
          "trainer's: %.2g" % (len(docs), len(pc), worst), file=sys.stderr)
    if not math.isfinite(worst) or worst > 1e-5:
        r = int(np.argmax(diff))
        print("verify: line %d of page %s: chaff %.6f, trainer %.6f" % (
            r, docs[doc[r]]["id"], pc[r], p2[r]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

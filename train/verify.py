#!/usr/bin/env python3
"""verify.py — check that chaff scores lines exactly as the trainer does.

  verify.py [--chaff CMD] [--model FILE] [--eval-dir DIR] [--pages N]

Runs chaff --dump-features (with --model FILE when given, else the model
built in) over the first N pages of every evaluation folder, then scores
the same rows in Python: the model file read by a small evaluator of its
own (tree walks on the dumped features) and compares with the score chaff
printed for each line it scored.  A difference beyond 1e-5 means the C
tree walk and the model writer disagree: exit 1.
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


class Model:
    def __init__(self, path):
        lines = [l.split() for l in open(path) if l.strip() and not l.startswith("!")]
        it = iter(lines)
        head = next(it)
        assert head[0] == "chaff-line-model" and head[1] == "1", head
        self.threshold = float(next(it)[1])
        w = next(it)
        assert w[0] == "trees", w
        n_trees, n_in, self.base = int(w[1]), int(w[3]), float(w[5])
        self.inputs = [next(it)[1] for _ in range(n_in)]
        self.trees = []
        for _ in range(n_trees):
            n = int(next(it)[1])
            self.trees.append([next(it) for _ in range(n)])
        assert next(it)[0] == "end"

    def score(self, X, names):
        col = [names.index(n) for n in self.inputs]
        raw = np.full(len(X), self.base)
        for tr in self.trees:
            for r in range(len(X)):
                i = 0
                while tr[i][0] == "node":
                    f, thr, right = int(tr[i][1]), float(tr[i][2]), int(tr[i][4])
                    i = i + 1 if float(X[r, col[f]]) <= thr else right
                raw[r] += float(tr[i][1])
        return 1.0 / (1.0 + np.exp(-raw))


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
    X, doc, pc, names = [], [], [], None
    for d, rec in enumerate(p.stdout.decode().split("\n")[: len(docs)]):
        rows = json.loads(rec)["text"].split("\n")
        names = rows[0].split("\t")[3:-1]
        for r in rows[1:]:
            c = r.split("\t")
            if not r or float(c[2]) < 0:
                continue  # a line the rules decided, or a record too short for the model
            X.append([float(v) for v in c[3:-1]])
            pc.append(float(c[2]))
            doc.append(d)
    X = np.asarray(X, np.float32)
    ps = model.score(X, names)
    diff = np.abs(ps - np.asarray(pc))
    worst = float(diff.max()) if len(diff) else 0.0
    print("verify: %d pages, %d lines scored; largest difference between chaff's score and "
          "the trainer's: %.2g" % (len(docs), len(pc), worst), file=sys.stderr)
    if not math.isfinite(worst) or worst > 1e-5:
        r = int(np.argmax(diff))
        print("verify: a line of page %s: chaff %.6f, trainer %.6f" % (
            docs[doc[r]]["id"], pc[r], ps[r]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

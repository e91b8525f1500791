#!/usr/bin/env python3
"""conventions.py — how much of the leave-one-set-out gap lies in reader comments.

  conventions.py [--data DIR] [--eval-dir DIR] [--loso DIR] [--model FILE]

The evaluation sets' gold texts disagree on reader comments under an
article: some keep them as content, others drop them as chrome.  A model
trained on the other folders can only learn their convention, so a folder
left out loses where its own differs.  For every folder this prints:

  share    the share of the tokens of its comment lines (lines chaff's
           thread finder marks, h_thread, or that sit below a comments
           heading, above_comments) that its gold keeps;
  in       per-page F1 of the model built into chaff (trained on every
           folder) on the folder;
  out      the same of the model trained without the folder (from
           `make loso`, LOSO/<folder>.model);
  out+c    `out`, but with the comment lines decided as `in` decides them.

Scores come from the model files (a tree walk over train/data's features)
and decisions from train.py's decide(), which leaves out the article's head
that chaff adds after, so figures differ from `make loso`'s by a little.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import SETS, Set  # noqa: E402
from train import decide  # noqa: E402


class Forest:
    """A model file (chaff-line-model 1), scored over rows in bulk."""

    def __init__(self, path):
        rows = [l.split() for l in open(path, encoding="utf-8")
                if l.strip() and not l.startswith("!")]
        it = iter(rows)
        assert next(it)[:2] == ["chaff-line-model", "1"]
        k = next(it)
        self.keep = (float(k[1]), float(k[3]), float(k[5]))  # threshold relative floor
        w = next(it)
        n_trees, n_in, self.base = int(w[1]), int(w[3]), float(w[5])
        self.inputs = [next(it)[1] for _ in range(n_in)]
        self.trees = []
        for _ in range(n_trees):
            n = int(next(it)[1])
            t = [next(it) for _ in range(n)]
            leaf = np.array([r[0] == "leaf" for r in t])
            feat = np.array([0 if lf else int(r[1]) for lf, r in zip(leaf, t)])
            thr = np.array([0.0 if lf else float(r[2]) for lf, r in zip(leaf, t)])
            right = np.array([0 if lf else int(r[4]) for lf, r in zip(leaf, t)])
            val = np.array([float(r[1]) if lf else 0.0 for lf, r in zip(leaf, t)])
            self.trees.append((leaf, feat, thr, right, val))

    def score(self, X, names):
        X = X[:, [names.index(n) for n in self.inputs]].astype(np.float64)
        raw = np.full(len(X), self.base)
        rows = np.arange(len(X))
        for leaf, feat, thr, right, val in self.trees:
            i = np.zeros(len(X), np.int64)
            while True:
                at = ~leaf[i]
                if not at.any():
                    break
                r, j = rows[at], i[at]
                i[at] = np.where(X[r, feat[j]] <= thr[j], j + 1, right[j])
            raw += val[i]
        return 1.0 / (1.0 + np.exp(-raw))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(TOP, "train", "data"))
    ap.add_argument("--eval-dir", default=os.environ.get("CHAFF_EVAL_DIR",
                                                         os.path.join(TOP, "..", "shared", "eval")))
    ap.add_argument("--loso", default=os.path.join(TOP, "train", "data", "loso"))
    ap.add_argument("--model", default=os.path.join(TOP, "model", "line.model"))
    a = ap.parse_args()
    inside = Forest(a.model)
    print("%-18s %6s %6s %6s %6s %7s %7s" % ("set", "share", "in", "out", "out+c", "gap", "gap+c"))
    for n in SETS:
        s = Set(a.data, n, a.eval_dir)
        path = os.path.join(a.loso, n + ".model")
        if not os.path.exists(path):
            print("conventions: %s: no %s (run make loso)" % (n, path), file=sys.stderr)
            continue
        out = Forest(path)
        com = (s.f("h_thread") > 0) | (s.f("above_comments") > 0)
        gold = s.frac >= 0.5
        share = float(s.ntok[com & gold].sum()) / max(1, float(s.ntok[com].sum()))
        k_in = decide(s, inside.score(s.X, s.names), *inside.keep)
        k_out = decide(s, out.score(s.X, s.names), *out.keep)
        f = [s.page_scores(k)[:, 2].mean() for k in (k_in, k_out, np.where(com, k_in, k_out))]
        print("%-18s %6.2f %6.3f %6.3f %6.3f %+7.3f %+7.3f" % (
            n, share, f[0], f[1], f[2], f[1] - f[0], f[2] - f[0]))


if __name__ == "__main__":
    main()

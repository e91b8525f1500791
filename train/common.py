"""common.py — what the training tools share: loading the data dataset.py wrote, the
second stage's features (the Python twin of feat2_line in src/linefeat.c), and
per-page token F1 of a keep/drop decision, computed as the scorer computes it.
"""
import collections
import gzip
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dataset import tokens  # noqa: E402

SETS = ["dev", "dev-ml", "wide-cleaneval", "wide-dragnet", "wide-wcxb-dev", "wide-daniel-more"]
FEAT2_WIN = 5  # keep in sync with src/linefeat.h

FEAT2_NAMES = ["s_self", "s_p1", "s_p2", "s_p3", "s_n1", "s_n2", "s_n3", "s_win", "s_win_w",
               "s_before_max", "s_after_max", "s_mass_before", "s_mass_after", "s_block",
               "s_doc"]


class Set:
    """One evaluation folder's lines."""

    def __init__(self, data_dir, name, eval_dir=None):
        z = np.load(os.path.join(data_dir, name + ".npz"))
        self.name = name
        self.X = z["X"]
        self.frac = z["frac"]
        self.ntok = z["ntok"]
        self.doc = z["doc"]
        self.line = z["line"]
        self.keep = z["keep"]
        self.names = [str(n) for n in z["names"]]
        self.ids = [str(i) for i in z["ids"]]
        self.groups = [str(g) for g in z["groups"]]
        self.gold_ntok = z["gold_ntok"]
        self.raw = z["raw"]
        self.p_c = z["p"]
        with gzip.open(os.path.join(data_dir, name + ".lines.txt.gz"), "rt", encoding="utf-8") as f:
            self.text = f.read().split("\n")[: len(self.frac)]
        self.col = {n: i for i, n in enumerate(self.names)}
        # rows of each page, in order
        self.n_docs = len(self.ids)
        starts = np.searchsorted(self.doc, np.arange(self.n_docs + 1))
        self.rows = [(int(starts[d]), int(starts[d + 1])) for d in range(self.n_docs)]
        self._gold = None
        self._ltok = None
        self.eval_dir = eval_dir

    def f(self, name):
        return self.X[:, self.col[name]]

    def _matrices(self):
        """Token counts as sparse matrices: lines x vocabulary and pages x
        vocabulary (the gold), built once."""
        if self._gold is None:
            from scipy import sparse
            vocab = {}
            folder = self.name.replace("wide-", "wide/")
            rows, cols, vals = [], [], []
            for d, i in enumerate(self.ids):
                with open(os.path.join(self.eval_dir, folder, i + ".gold.txt"), encoding="utf-8",
                          errors="replace") as fh:
                    for t, c in collections.Counter(tokens(fh.read())).items():
                        rows.append(d)
                        cols.append(vocab.setdefault(t, len(vocab)))
                        vals.append(c)
            g = (rows, cols, vals)
            rows, cols, vals = [], [], []
            for r, t in enumerate(self.text):
                for w, c in collections.Counter(tokens(t)).items():
                    rows.append(r)
                    cols.append(vocab.setdefault(w, len(vocab)))
                    vals.append(c)
            nv = len(vocab)
            self._gold = sparse.csr_matrix((g[2], (g[0], g[1])), shape=(self.n_docs, nv),
                                           dtype=np.float64)
            self._ltok = sparse.csr_matrix((vals, (rows, cols)), shape=(len(self.text), nv),
                                           dtype=np.float64)
        return self._gold, self._ltok

    def page_scores(self, keep):
        """(P, R, F1) per page of keeping rows where keep is true: bags of
        the scorer's tokens, as score.py compares them."""
        from scipy import sparse
        gold, lines = self._matrices()
        keep = np.asarray(keep, bool)
        pick = sparse.csr_matrix((keep.astype(np.float64), (self.doc, np.arange(len(keep)))),
                                 shape=(self.n_docs, len(keep)))
        pred = pick @ lines
        tp = np.asarray(pred.minimum(gold).sum(axis=1)).ravel()
        npred = np.asarray(pred.sum(axis=1)).ravel()
        ngold = np.asarray(gold.sum(axis=1)).ravel()
        P = np.divide(tp, npred, out=np.zeros_like(tp), where=npred > 0)
        R = np.divide(tp, ngold, out=np.zeros_like(tp), where=ngold > 0)
        F = np.divide(2 * P * R, P + R, out=np.zeros_like(tp), where=(P + R) > 0)
        both_empty = (ngold == 0) & (npred == 0)
        P[both_empty] = R[both_empty] = F[both_empty] = 1.0
        return np.stack([P, R, F], axis=1)


def feat2(s, p1):
    """Stage-2 features of every row of set s from stage-1 scores p1 (one per row);
    the twin of feat2_line() in src/linefeat.c."""
    n_rows = len(p1)
    out = np.zeros((n_rows, len(FEAT2_NAMES)), dtype=np.float32)
    elen = s.raw[:, 0].astype(np.float64)
    block = s.raw[:, 1].astype(np.int64)
    bpos = s.raw[:, 2].astype(np.int64)
    for a, b in s.rows:
        n = b - a
        if n == 0:
            continue
        p = p1[a:b].astype(np.float64)
        e = elen[a:b]
        o = out[a:b]
        o[:, 0] = p
        for k in (1, 2, 3):
            o[:, k] = -1.0
            o[k:, k] = p[:-k] if k < n else o[k:, k]
            o[:, 3 + k] = -1.0
            if k < n:
                o[: n - k, 3 + k] = p[k:]
        pre_p = np.concatenate([[0.0], np.cumsum(p)])
        pre_pe = np.concatenate([[0.0], np.cumsum(p * e)])
        pre_e = np.concatenate([[0.0], np.cumsum(e)])
        idx = np.arange(n)
        lo = np.maximum(idx - FEAT2_WIN, 0)
        hi = np.minimum(idx + FEAT2_WIN + 1, n)
        we = pre_e[hi] - pre_e[lo]
        o[:, 7] = (pre_p[hi] - pre_p[lo]) / (hi - lo)
        o[:, 8] = np.where(we > 0, (pre_pe[hi] - pre_pe[lo]) / np.where(we > 0, we, 1), 0.0)
        pre_max = np.concatenate([[-1.0], np.maximum.accumulate(p)])
        suf_max = np.concatenate([np.maximum.accumulate(p[::-1])[::-1], [-1.0]])
        o[:, 9] = pre_max[idx]
        o[:, 10] = suf_max[idx + 1]
        total = pre_pe[n]
        o[:, 11] = pre_pe[idx] / total if total > 0 else 0.0
        o[:, 12] = (total - pre_pe[idx + 1]) / total if total > 0 else 0.0
        blk = block[a:b]
        b0 = idx - bpos[a:b]
        b1 = np.minimum(b0 + blk, n)
        o[:, 13] = (pre_p[b1] - pre_p[b0]) / np.maximum(b1 - b0, 1)
        o[:, 14] = total / pre_e[n] if pre_e[n] > 0 else 0.0
    return out

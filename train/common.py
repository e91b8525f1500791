"""common.py — what the training tools share: loading the data dataset.py wrote, and
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

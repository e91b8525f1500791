#!/usr/bin/env python3
"""dataset.py — the line model's training data: chaff's features, labels from the gold text.

  dataset.py [--chaff CMD] [--eval-dir DIR] [--out DIR] [--sets a,b]

For every evaluation folder, chaff runs once over all its pages with
`--dump-features -f jsonl` (the page URL from the manifest, as evaluate.py
passes it) and writes, per non-blank line, the stage-1 feature vector the C
code computes: training reads exactly what run time will see.

Labels come from aligning each page's lines to its gold text.  Both are
tokenised as the scorer does (lowercased NFKC words; one token per Han,
kana or Hangul character); the line tokens, in page order, are aligned to
the gold tokens by difflib's longest-matching-blocks (an LCS in practice),
and a line's label is the share of its tokens that the alignment matched.
Sequence alignment, not a bag of words, so that "Home" in a menu is not
content because the article says "home" somewhere.

Writes OUT/<set>.npz with X (float32, lines x features), frac (matched
share), ntok (tokens of the line), doc (page index), line (line index in
the page), keep (chaff's current decision), names (feature names), ids
(page ids), groups (language or page type), gold_ntok (tokens of each
page's gold), p (the built-in model's score, -1 where it scored none);
OUT/<set>.lines.txt.gz with the text of each row, for
reading the mistakes.  Deterministic: the same chaff and data give the
same files.
"""
import argparse
import difflib
import gzip
import importlib.util
import json
import os
import re
import subprocess
import sys
import unicodedata

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "eval"))
import evaluate  # noqa: E402  (manifest(), pages(), SETS)

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
                 r"\u1100-\u11ff\u3130-\u318f]")
WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text):
    """The scorer's tokens (score.py), in order."""
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for w in WORD.findall(text):
        if CJK.search(w):
            buf = ""
            for ch in w:
                if CJK.match(ch):
                    if buf:
                        out.append(buf)
                        buf = ""
                    out.append(ch)
                else:
                    buf += ch
            if buf:
                out.append(buf)
        else:
            out.append(w)
    return out


def align(line_toks, gold_toks):
    """Per line, the number of its tokens matched to the gold in order."""
    vocab = {}
    seq_s = [vocab.setdefault(t, len(vocab)) for toks in line_toks for t in toks]
    seq_g = [vocab.setdefault(t, len(vocab)) for t in gold_toks]
    owner = [i for i, toks in enumerate(line_toks) for _ in toks]
    matched = [0] * len(line_toks)
    sm = difflib.SequenceMatcher(None, seq_s, seq_g, autojunk=False)
    for a, _, size in sm.get_matching_blocks():
        for k in range(a, a + size):
            matched[owner[k]] += 1
    return matched


def run_dump(cmd, docs, jobs):
    payload = "".join(json.dumps({"id": i, "url": u, "text": t}, ensure_ascii=False) + "\n"
                      for i, u, t in docs).encode("utf-8")
    p = subprocess.run(cmd + ["--dump-features", "-f", "jsonl", "-j", str(jobs)], input=payload,
                       stdout=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("dataset: chaff exited %d" % p.returncode)
    out = p.stdout.decode("utf-8").split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) != len(docs):
        sys.exit("dataset: %d records in, %d out" % (len(docs), len(out)))
    return [json.loads(o) for o in out]


def build(set_name, folder, cmd, jobs, out_dir):
    man = evaluate.manifest(folder)
    ids = evaluate.pages(folder)
    docs = []
    for i in ids:
        with open(os.path.join(folder, i + ".txt"), encoding="utf-8", errors="replace") as f:
            docs.append((i, man.get(i, ("", ""))[0], f.read()))
    recs = run_dump(cmd, docs, jobs)
    names = None
    X, frac, ntok, doc, line, keep, texts, gold_ntok, groups = [], [], [], [], [], [], [], [], []
    p_c = []
    for d, (i, rec) in enumerate(zip(ids, recs)):
        if rec.get("id") != i:
            sys.exit("dataset: record order broken at %s" % i)
        rows = rec["text"].split("\n")
        head = rows[0].split("\t")
        if names is None:
            names = head[3:-1]
        elif head[3:-1] != names:
            sys.exit("dataset: feature names changed within a run")
        with open(os.path.join(folder, i + ".gold.txt"), encoding="utf-8", errors="replace") as f:
            gtok = tokens(f.read())
        gold_ntok.append(len(gtok))
        groups.append(man.get(i, ("", ""))[1])
        cells = [r.split("\t") for r in rows[1:] if r]
        ltoks = [tokens(c[-1]) for c in cells]
        matched = align(ltoks, gtok)
        for c, lt, m in zip(cells, ltoks, matched):
            X.append([float(v) for v in c[3:-1]])
            p_c.append(float(c[2]))
            n = len(lt)
            ntok.append(n)
            frac.append(m / n if n else 0.0)
            doc.append(d)
            line.append(int(c[0]))
            keep.append(int(c[1]))
            texts.append(c[-1])
    X = np.asarray(X, dtype=np.float32)
    path = os.path.join(out_dir, set_name.replace("/", "-"))
    np.savez_compressed(path + ".npz", X=X, frac=np.asarray(frac, np.float32),
                        ntok=np.asarray(ntok, np.int32), doc=np.asarray(doc, np.int32),
                        line=np.asarray(line, np.int32), keep=np.asarray(keep, np.int8),
                        p=np.asarray(p_c, np.float32),
                        names=np.asarray(names), ids=np.asarray(ids),
                        groups=np.asarray(groups), gold_ntok=np.asarray(gold_ntok, np.int32))
    with gzip.open(path + ".lines.txt.gz", "wt", encoding="utf-8") as f:
        for t in texts:
            f.write(t + "\n")
    return len(ids), len(texts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chaff", default=os.environ.get("CHAFF", os.path.join(TOP, "build", "chaff")))
    ap.add_argument("--eval-dir", default=os.environ.get("CHAFF_EVAL_DIR",
                                                         os.path.join(TOP, "..", "shared", "eval")))
    ap.add_argument("--out", default=os.path.join(TOP, "train", "data"))
    ap.add_argument("--sets", default="")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for s in [x for x in a.sets.split(",") if x] or evaluate.SETS:
        n_docs, n_lines = build(s, os.path.join(a.eval_dir, s), a.chaff.split(), a.jobs, a.out)
        print("dataset: %-17s %5d pages %7d lines" % (s, n_docs, n_lines), file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""evaluate.py — chaff's token P/R/F1 on every folder of the evaluation data, in one table.

  evaluate.py [--chaff CMD] [--eval-dir DIR] [--out DIR] [--sets a,b] [--jobs N]
              [--json] [--baseline-only] [-- CHAFF-ARGS...]

For each folder (dev, dev-ml, wide/cleaneval, wide/dragnet, wide/wcxb-dev,
wide/daniel-more, and the per-language fixtures tests/fixtures/lang-*), the
pages go to ONE chaff run as JSONL records {"id", "url", "text"} with
`-f jsonl -jN`, the way a batch user runs it: minutes for all 4,400 pages,
not one process per page.  The URL comes from the folder's MANIFEST.tsv
(dev-ml knows only the site: https://SITE/ is used), so site-scoped rules
apply as they would in a crawl.  Outputs are written to OUT/<set>/<id>.txt
and scored with the data's own score.py (imported, so the tokenisation is
the scorer's), beside "no cleaning" (the input itself).

Printed: one row per folder, then dev-ml by language and wcxb-dev by page
type; OUT/summary.tsv holds every row (set, subset, method, P, R, F1,
documents) for eval/check-bars.sh.  Figures are means over documents.
Exits 1 when chaff fails on a folder, 2 on a usage or data error.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETS = ["dev", "dev-ml", "wide/cleaneval", "wide/dragnet", "wide/wcxb-dev", "wide/daniel-more"]


def load_scorer(eval_dir):
    path = os.path.join(eval_dir, "score.py")
    if not os.path.isfile(path):
        sys.exit("evaluate: no score.py in %s (set --eval-dir or CHAFF_EVAL_DIR)" % eval_dir)
    spec = importlib.util.spec_from_file_location("chaff_eval_score", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def manifest(folder):
    """id -> (url, group): group is the language (dev-ml, daniel-more) or the
    page type (wcxb-dev), else ''."""
    out = {}
    path = os.path.join(folder, "MANIFEST.tsv")
    if not os.path.isfile(path):
        return out
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    if not rows:
        return out
    head = rows[0] if rows[0][0] == "id" else None
    for r in rows[1:] if head else rows:
        rec = dict(zip(head, r)) if head else {"id": r[0], "url": r[1] if len(r) > 1 else ""}
        url = rec.get("url", "")
        if not url and rec.get("site"):
            url = "https://%s/" % rec["site"]
        elif url and "://" not in url:
            url = "https://%s/" % url
        group = rec.get("lang", "")
        notes = rec.get("notes", "")
        if "page_type=" in notes:
            group = notes.split("page_type=", 1)[1].split(";")[0].strip()
        out[rec["id"]] = (url, group)
    return out


def pages(folder):
    """Sorted ids of the folder's pages (<id>.txt with a <id>.gold.txt)."""
    ids = []
    for name in os.listdir(folder):
        if name.endswith(".gold.txt"):
            doc = name[: -len(".gold.txt")]
            if os.path.isfile(os.path.join(folder, doc + ".txt")):
                ids.append(doc)
    return sorted(ids)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def run_chaff(cmd, extra, jobs, docs, out_dir, stderr_path):
    """docs: [(id, url, text)].  Writes out_dir/<id>.txt; returns (ok, seconds)."""
    os.makedirs(out_dir, exist_ok=True)
    payload = "".join(json.dumps({"id": i, "url": u, "text": t}, ensure_ascii=False) + "\n"
                      for i, u, t in docs).encode("utf-8")
    argv = cmd + ["-f", "jsonl", "-j", str(jobs)] + extra
    t0 = time.time()
    with open(stderr_path, "wb") as err:
        p = subprocess.run(argv, input=payload, stdout=subprocess.PIPE, stderr=err)
    dt = time.time() - t0
    lines = p.stdout.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if p.returncode != 0 or len(lines) != len(docs):
        sys.stderr.write("evaluate: %s exited %d with %d of %d records (see %s)\n"
                         % (" ".join(argv), p.returncode, len(lines), len(docs), stderr_path))
        return False, dt
    for (i, _, _), line in zip(docs, lines):
        rec = json.loads(line)
        if rec.get("id") != i:
            sys.stderr.write("evaluate: record order broken at %s\n" % i)
            return False, dt
        text = rec.get("text", "")
        with open(os.path.join(out_dir, i + ".txt"), "w", encoding="utf-8") as f:
            f.write(text + ("\n" if text and not text.endswith("\n") else ""))
    return True, dt


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chaff", default=os.environ.get("CHAFF", os.path.join(TOP, "build", "chaff")))
    ap.add_argument("--eval-dir", default=os.environ.get("CHAFF_EVAL_DIR",
                                                         os.path.join(TOP, "..", "shared", "eval")))
    ap.add_argument("--out", default=os.environ.get("EVAL_OUT", os.path.join(TOP, "eval", "out")))
    ap.add_argument("--sets", default="", help="comma-separated folders (default: all)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("EVAL_JOBS", "2")))
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument("--no-fixtures", action="store_true")
    ap.add_argument("--baseline-only", action="store_true", help="score no cleaning only")
    ap.add_argument("extra", nargs="*", help="more chaff arguments (after --)")
    a = ap.parse_args()

    scorer = load_scorer(a.eval_dir)
    sets = [s for s in a.sets.split(",") if s] or SETS
    cmd = a.chaff.split()
    rows = []  # (set, subset, method, P, R, F1, n)
    failed = False
    per_doc = {}

    def add(set_name, subset, method, scores):
        if not scores:
            return
        rows.append((set_name, subset, method, mean([s[0] for s in scores]),
                     mean([s[1] for s in scores]), mean([s[2] for s in scores]), len(scores)))

    jobs = []
    for s in sets:
        folder = os.path.join(a.eval_dir, s)
        if not os.path.isdir(folder):
            sys.exit("evaluate: %s: no such folder" % folder)
        man = manifest(folder)
        ids = pages(folder)
        jobs.append((s, [(i, man.get(i, ("", ""))[0], man.get(i, ("", ""))[1],
                          read(os.path.join(folder, i + ".txt")),
                          read(os.path.join(folder, i + ".gold.txt"))) for i in ids]))
    if not a.no_fixtures and not a.sets:
        fx = []
        fdir = os.path.join(TOP, "tests", "fixtures")
        for name in sorted(os.listdir(fdir)):
            p = os.path.join(fdir, name)
            if name.startswith("lang-") and os.path.isfile(os.path.join(p, "input")) \
                    and os.path.isfile(os.path.join(p, "expected")):
                fx.append((name, "", name[5:], read(os.path.join(p, "input")),
                           read(os.path.join(p, "expected"))))
        if fx:
            jobs.append(("fixtures", fx))

    os.makedirs(a.out, exist_ok=True)
    for s, docs in jobs:
        tag = s.replace("/", "-")
        if not a.baseline_only:
            ok, dt = run_chaff(cmd, a.extra, a.jobs, [(d[0], d[1], d[3]) for d in docs],
                               os.path.join(a.out, tag), os.path.join(a.out, tag + ".stderr"))
            failed |= not ok
            mb = sum(len(d[3].encode("utf-8")) for d in docs) / 1e6
            sys.stderr.write("evaluate: %-17s %5d pages %6.1f MB  %6.1f s\n" % (s, len(docs), mb, dt))
        groups = {}
        for d in docs:
            base = scorer.prf(d[4], d[3])
            got = None
            if not a.baseline_only:
                got = scorer.prf(d[4], scorer.read(os.path.join(a.out, tag, d[0] + ".txt")))
                per_doc[(s, d[0])] = got
            groups.setdefault("all", []).append((base, got))
            if d[2]:
                groups.setdefault(d[2], []).append((base, got))
        for g in ["all"] + sorted(k for k in groups if k != "all"):
            if not a.baseline_only:
                add(s, g, "chaff", [x[1] for x in groups[g]])
            add(s, g, "no-cleaning", [x[0] for x in groups[g]])

    with open(os.path.join(a.out, "summary.tsv"), "w") as f:
        f.write("set\tsubset\tmethod\tP\tR\tF1\tdocuments\n")
        for r in rows:
            f.write("%s\t%s\t%s\t%.4f\t%.4f\t%.4f\t%d\n" % r)
    with open(os.path.join(a.out, "per-doc.tsv"), "w") as f:
        f.write("set\tid\tP\tR\tF1\n")
        for (s, i), (p, r, f1) in sorted(per_doc.items()):
            f.write("%s\t%s\t%.4f\t%.4f\t%.4f\n" % (s, i, p, r, f1))

    if a.json:
        print(json.dumps([dict(zip(("set", "subset", "method", "P", "R", "F1", "documents"), r))
                          for r in rows]))
    else:
        print_table(rows)
    return 1 if failed else 0


def print_table(rows):
    by = {(r[0], r[1], r[2]): r for r in rows}
    order = []
    for r in rows:
        if (r[0], r[1]) not in order:
            order.append((r[0], r[1]))
    print("%-18s %-14s %5s  %6s %6s %6s  %8s  %6s" % ("set", "subset", "pages", "P", "R", "F1",
                                                    "none F1", "gain"))
    for s, g in order:
        c, n = by.get((s, g, "chaff")), by.get((s, g, "no-cleaning"))
        if g != "all" and s not in ("dev-ml", "wide/wcxb-dev", "wide/daniel-more", "fixtures"):
            continue
        label = s if g == "all" else "  " + s.split("/")[-1]
        if c:
            print("%-18s %-14s %5d  %6.3f %6.3f %6.3f  %8.3f  %+6.3f" % (
                label, g, c[6], c[3], c[4], c[5], n[5], c[5] - n[5]))
        else:
            print("%-18s %-14s %5d  %6s %6s %6s  %8.3f" % (label, g, n[6], "", "", "", n[5]))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""rule-audit.py — what each rule removes: gold text against chrome, per folder.

  rule-audit.py [--chaff CMD] [--eval-dir DIR] [--sets a,b] [--jobs N] [--dump FILE]
                [--top N] [--all] [--examples N] [--save FILE] [--compare FILE]
                [-- CHAFF-ARGS...]

chaff runs once per evaluation folder (dev, dev-ml, wide/cleaneval,
wide/dragnet, wide/wcxb-dev, wide/daniel-more) with `--explain -f jsonl`,
fed the same records as eval/evaluate.py (its manifest() and pages() are
imported, so URLs and site-scoped rules apply alike).  Each page's lines
are aligned to its gold text: both are tokenised as score.py does (its own
regexes, in order instead of as a bag), token ids are matched in order with
difflib.SequenceMatcher (autojunk off), and a line is gold when at least
half of its tokens align.  Every line the explain listing puts down to a
rule (`rule`, `rule-range`, `weak-rule`) is charged to that rule: its
tokens count as gold removed when the line is gold, else as chrome
removed.  Lines that `keep-rule` protects are tallied the same way in a
section of their own (gold kept against chrome kept).

Printed: the totals per folder (all rule drops, and by kind), then the
rules worst first (gold removed minus chrome removed), each with
file:line, category, the rule's text and its figures per folder.  Only
rules with gold removed are listed unless --all.  --save writes every
tally as JSON; --compare OLD prints the totals of an earlier --save
beside the new ones, and each listed rule's old figures (rules are matched
by file and text, not by line number, so an edit elsewhere in a file does
not scramble the comparison).

The figures are the rules' own damage: gold removed by rule decisions.
Lines removed by heuristics are not counted here (evaluate.py scores the
whole output).  Gold lines are judged by alignment, so a line whose words
also occur in order in the gold (a heading repeated in the article, a
caption) counts as gold: read the examples before narrowing a rule.
Python 3 standard library only.  Exits 1 when chaff fails on a folder.
"""
import argparse
import collections
import difflib
import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no eval/__pycache__ in the checkout
import evaluate  # noqa: E402  (manifest, pages, read, load_scorer, SETS, TOP)

TOP = evaluate.TOP
REASON = re.compile(r"^(rule|rule-range|weak-rule|keep-rule) (\S+):(\d+) \[([^\] ]+)( site)?\]")
KINDS = ("rule", "rule-range", "weak-rule")
MAX_EXAMPLES = 20

_scorer = None


def ordered_tokens(text):
    """score.py's tokens, in order (score.py itself returns a bag)."""
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for w in _scorer.WORD.findall(text):
        if _scorer.CJK.search(w):
            buf = ""
            for ch in w:
                if _scorer.CJK.match(ch):
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


_dump = False


def init_worker(eval_dir, dump):
    global _scorer, _dump
    _scorer = evaluate.load_scorer(eval_dir)
    _dump = dump


def audit_page(job):
    """job: (set, id, gold text, [(decision, reason, text)]).  Returns the
    tallies {(kind, path, line, category): [gold tok, chrome tok, gold lines,
    chrome lines]} and examples {(path, line): [gold line texts]} (a few)."""
    set_name, doc, gold, lines = job
    vocab = {}
    gold_ids = [vocab.setdefault(t, len(vocab)) for t in ordered_tokens(gold)]
    page_ids, owner, n_tok = [], [], []
    for n, (_, _, text) in enumerate(lines):
        toks = ordered_tokens(text)
        n_tok.append(len(toks))
        for t in toks:
            page_ids.append(vocab.setdefault(t, len(vocab)))
            owner.append(n)
    aligned = [0] * len(lines)
    sm = difflib.SequenceMatcher(None, page_ids, gold_ids, autojunk=False)
    for a, _, size in sm.get_matching_blocks():
        for k in range(a, a + size):
            aligned[owner[k]] += 1
    tally, examples, dump = {}, {}, []
    for n, (decision, reason, text) in enumerate(lines):
        m = REASON.match(reason)
        if not m:
            continue
        kind = m.group(1)
        if decision != ("keep" if kind == "keep-rule" else "drop"):
            continue
        is_gold = n_tok[n] > 0 and 2 * aligned[n] >= n_tok[n]
        key = (kind, m.group(2), int(m.group(3)), m.group(4))
        t = tally.setdefault(key, [0, 0, 0, 0])
        if _dump:
            dump.append("%s\t%s\t%s\t%s:%s\t%s\t%d\t%s\n" % (set_name, doc, kind, m.group(2), m.group(3),
                                                         "gold" if is_gold else "chrome", n_tok[n], text))
        if is_gold:
            t[0] += n_tok[n]
            t[2] += 1
            ex = examples.setdefault((m.group(2), int(m.group(3))), [])
            if len(ex) < MAX_EXAMPLES:
                ex.append("%s/%s: %s" % (short(set_name), doc[:12], text))
        else:
            t[1] += n_tok[n]
            t[3] += 1
    return set_name, doc, tally, examples, "".join(dump)


def run_folder(cmd, extra, jobs, docs):
    """docs: [(id, url, text)].  Yields each record's explain lines as
    [(decision, reason, text)], in input order; raises on a chaff failure."""
    argv = cmd + ["--explain", "-f", "jsonl", "-j", str(jobs)] + extra
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def feed():
        try:
            for i, u, t in docs:
                p.stdin.write((json.dumps({"id": i, "url": u, "text": t}, ensure_ascii=False)
                               + "\n").encode("utf-8"))
            p.stdin.close()
        except BrokenPipeError:
            pass

    th = threading.Thread(target=feed, daemon=True)
    th.start()
    cur = None
    n = 0
    for raw in p.stdout:
        line = raw.rstrip(b"\n").decode("utf-8", errors="replace")
        if line.startswith("# record "):
            if cur is not None:
                yield cur
                n += 1
            cur = []
            continue
        if cur is None:
            continue
        parts = line.split("\t", 2)
        while len(parts) < 3:
            parts.append("")
        cur.append((parts[0].strip(), parts[1], parts[2]))
    if cur is not None:
        yield cur
        n += 1
    th.join()
    rc = p.wait()
    if rc != 0 or n != len(docs):
        raise RuntimeError("%s exited %d with %d of %d records" % (" ".join(argv), rc, n, len(docs)))


def rule_text(path, line, cache={}):
    """The statement at path:line of the checkout's rules (comment cut)."""
    if path not in cache:
        try:
            with open(os.path.join(TOP, path), encoding="utf-8") as f:
                cache[path] = f.read().split("\n")
        except OSError:
            cache[path] = []
    lines = cache[path]
    return lines[line - 1].strip() if 0 < line <= len(lines) else "?"


def short(s):
    return s.split("/")[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chaff", default=os.environ.get("CHAFF", os.path.join(TOP, "build", "chaff")))
    ap.add_argument("--eval-dir", default=os.environ.get("CHAFF_EVAL_DIR",
                                                         os.path.join(TOP, "..", "shared", "eval")))
    ap.add_argument("--sets", default="", help="comma-separated folders (default: all)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("EVAL_JOBS", "2")),
                    help="chaff threads and alignment processes (default 2)")
    ap.add_argument("--top", type=int, default=60, help="rules listed (default 60; 0: all)")
    ap.add_argument("--all", action="store_true", help="list rules that removed no gold too")
    ap.add_argument("--examples", type=int, default=0,
                    help="gold lines shown per rule (max %d)" % MAX_EXAMPLES)
    ap.add_argument("--sort", choices=("excess", "gold"), default="excess",
                    help="order: gold minus chrome (default) or gold removed")
    ap.add_argument("--rule", help="list only rules whose file:line contains this")
    ap.add_argument("--save", help="write every tally as JSON to FILE")
    ap.add_argument("--dump", help="write every line a rule decided as TSV to FILE")
    ap.add_argument("--compare", help="a --save file to print beside these totals")
    ap.add_argument("extra", nargs="*", help="more chaff arguments (after --)")
    a = ap.parse_args()

    global _scorer
    _scorer = evaluate.load_scorer(a.eval_dir)
    sets = [s for s in a.sets.split(",") if s] or evaluate.SETS
    cmd = a.chaff.split()

    # tallies[(kind, path, line, cat)][set] = [gold tok, chrome tok, gold lines, chrome lines]
    tallies = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0, 0, 0]))
    examples = {}
    pages_hit = collections.defaultdict(set)
    failed = False
    pool = multiprocessing.Pool(max(1, a.jobs), initializer=init_worker,
                                initargs=(a.eval_dir, bool(a.dump)))
    dump = open(a.dump, "w", encoding="utf-8") if a.dump else None
    if dump:
        dump.write("set\tid\tkind\trule\tclass\ttokens\ttext\n")
    for s in sets:
        folder = os.path.join(a.eval_dir, s)
        if not os.path.isdir(folder):
            sys.exit("rule-audit: %s: no such folder" % folder)
        man = evaluate.manifest(folder)
        ids = evaluate.pages(folder)
        docs = [(i, man.get(i, ("", ""))[0], evaluate.read(os.path.join(folder, i + ".txt")))
                for i in ids]
        t0 = time.time()

        def jobs_of():
            for (i, _, _), lines in zip(docs, run_folder(cmd, a.extra, a.jobs, docs)):
                yield (s, i, evaluate.read(os.path.join(folder, i + ".gold.txt")), lines)

        try:
            for set_name, doc, tally, ex, dumped in pool.imap_unordered(audit_page, jobs_of(),
                                                                        chunksize=4):
                if dump:
                    dump.write(dumped)
                for key, t in tally.items():
                    acc = tallies[key][set_name]
                    for k in range(4):
                        acc[k] += t[k]
                    if t[0]:
                        pages_hit[key].add((set_name, doc))
                for key, lst in ex.items():
                    have = examples.setdefault(key, [])
                    have.extend(lst[: MAX_EXAMPLES - len(have)])
        except RuntimeError as e:
            sys.stderr.write("rule-audit: %s\n" % e)
            failed = True
        sys.stderr.write("rule-audit: %-17s %5d pages  %6.1f s\n" % (s, len(docs), time.time() - t0))
    pool.close()
    pool.join()
    if dump:
        dump.close()
    _examples.update(examples)

    saved = {"sets": sets, "rules": []}
    for key, per in tallies.items():
        kind, path, line, cat = key
        saved["rules"].append({"kind": kind, "file": path, "line": line, "category": cat,
                               "text": rule_text(path, line),
                               "sets": {s: per[s] for s in per},
                               "gold_pages": len(pages_hit.get(key, ()))})
    if a.save:
        with open(a.save, "w", encoding="utf-8") as f:
            json.dump(saved, f, ensure_ascii=False, indent=0)
    old = None
    if a.compare:
        with open(a.compare, encoding="utf-8") as f:
            old = json.load(f)
    print_report(saved, sets, a, old)
    return 1 if failed else 0


def totals(saved, sets, kinds):
    out = {s: [0, 0, 0, 0] for s in sets + ["total"]}
    for r in saved["rules"]:
        if r["kind"] not in kinds:
            continue
        for s, t in r["sets"].items():
            if s not in sets:
                continue
            for dst in (s, "total"):
                if dst in out:
                    for k in range(4):
                        out[dst][k] += t[k]
    return out


_examples = {}


def examples_of(a, path, line):
    return _examples.get((path, line), [])[: a.examples]


def print_report(saved, sets, a, old):
    cols = sets + ["total"]
    print("Rule drops: gold tokens removed / chrome tokens removed (lines gold / chrome)")
    print("%-18s %10s %10s %8s %8s  %s" % ("folder", "gold tok", "chrome tok", "gold ln",
                                           "chr ln", "gold share"))
    for label, kinds in (("all rule drops", KINDS), ("  rule", ("rule",)),
                         ("  rule-range", ("rule-range",)), ("  weak-rule", ("weak-rule",))):
        tot = totals(saved, sets, kinds)
        oldtot = totals(old, sets, kinds) if old else None
        print(label)
        for s in cols:
            t = tot[s]
            share = t[0] / (t[0] + t[1]) if t[0] + t[1] else 0.0
            extra = ""
            if oldtot:
                o = oldtot.get(s, [0, 0, 0, 0])
                extra = "   was %d / %d" % (o[0], o[1])
            print("  %-16s %10d %10d %8d %8d  %9.3f%s" % (s, t[0], t[1], t[2], t[3], share, extra))
    kt = totals(saved, sets, ("keep-rule",))
    if kt["total"][2] + kt["total"][3]:
        print("keep rules: gold tokens kept / chrome tokens kept")
        for s in cols:
            print("  %-16s %10d %10d" % (s, kt[s][0], kt[s][1]))

    per_rule = collections.defaultdict(lambda: {"sets": collections.defaultdict(lambda: [0, 0, 0, 0]),
                                                "kinds": set(), "gold_pages": 0})
    for r in saved["rules"]:
        if r["kind"] not in KINDS:
            continue
        pr = per_rule[(r["file"], r["line"], r["category"], r["text"])]
        pr["kinds"].add(r["kind"])
        pr["gold_pages"] += r["gold_pages"]
        for s, t in r["sets"].items():
            for k in range(4):
                pr["sets"][s][k] += t[k]
    rows = []
    for key, pr in per_rule.items():
        g = sum(t[0] for t in pr["sets"].values())
        c = sum(t[1] for t in pr["sets"].values())
        if (g == 0 and not a.all) or (a.rule and a.rule not in "%s:%d" % key[:2]):
            continue
        rows.append((g - c, g, c, key, pr))
    if a.sort == "gold":
        rows.sort(key=lambda r: (-r[1], -r[0], r[3]))
    else:
        rows.sort(key=lambda r: (-r[0], -r[1], r[3]))
    if a.top:
        rows = rows[: a.top]
    was = collections.defaultdict(lambda: [0, 0])
    for r in (old or {}).get("rules", []):
        if r["kind"] in KINDS:
            for s, t in r["sets"].items():
                if s not in sets:
                    continue
                was[(r["file"], r["text"])][0] += t[0]
                was[(r["file"], r["text"])][1] += t[1]
    print()
    print("Rules, worst first: gold tok removed, chrome tok removed, gold - chrome, pages with gold lost")
    for diff, g, c, (path, line, cat, text), pr in rows:
        print("%7d %7d %+8d %5d  %s:%d [%s] %s  %s" % (g, c, diff, pr["gold_pages"], path, line, cat,
                                                        "/".join(sorted(pr["kinds"])), text))
        parts = ["%s %d/%d" % (short(s), pr["sets"][s][0], pr["sets"][s][1])
                 for s in sets if s in pr["sets"] and (pr["sets"][s][0] or pr["sets"][s][1])]
        if old:
            w = was.get((path, text), [0, 0])
            parts.append("(was %d/%d)" % (w[0], w[1]))
        print("%31s %s" % ("", "  ".join(parts)))
        if a.examples:
            for ex in examples_of(a, path, line):
                print("%31s | %s" % ("", ex if a.rule else ex[:160]))


if __name__ == "__main__":
    sys.exit(main())

"""Tests of python/chaff.py, run by `make python-test` (part of `make check`)
with Debian's /usr/bin/python3 over the library make built ($CHAFF_LIB).

A made-up page loses its login widget and keeps its article; rules given
to a Cleaner apply; bytes in any charset are decoded; eight threads
sharing one Cleaner give what one thread gives; bad rules, a missing rules
folder, an unknown language, a closed Cleaner and a wrong type raise; the
datatrove-style example cleans JSON Lines.
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import chaff  # noqa: E402

ARTICLE = [
    "The ferry company said on Monday that the new boats would carry twice as many cyclists "
    "across the bay, and that the first of them would sail before the end of the summer.",
    "Harbour officials expect the timetable to stay the same, although the crossing itself "
    "should take about ten minutes less than it does with the old boats.",
]
WIDGET = "Sign in to your account"
PAGE = "\n".join([WIDGET] + ARTICLE) + "\n"


def page(i):
    """A different made-up page for each i."""
    return "\n".join([WIDGET, "Story number %d of the harbour series." % i] + ARTICLE) + "\n"


class CleanTest(unittest.TestCase):
    def test_drops_widget_keeps_article(self):
        out = chaff.clean(PAGE, url="https://ferries.example/news/1")
        self.assertNotIn(WIDGET, out)
        for para in ARTICLE:
            self.assertIn(para, out)
        self.assertIsInstance(out, str)

    def test_lang_and_bytes(self):
        self.assertEqual(chaff.clean(PAGE, lang="en"), chaff.clean(PAGE))
        latin1 = ("Caf\u00e9 opening hours changed. " + ARTICLE[0]).encode("latin-1")
        self.assertIn("Caf\u00e9", chaff.clean(latin1))

    def test_rules_given(self):
        line = "Ferry club members read this free"
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ferry.rules")
            with open(path, "w") as f:
                f.write("@category login\n= %s\n" % line)
            text = line + "\n" + ARTICLE[0] + "\n"
            bare = chaff.Cleaner(default_rules=False, heuristics=False)
            self.assertIn(line, bare.clean(text))
            with chaff.Cleaner(rules=[path], default_rules=False, heuristics=False) as c:
                self.assertEqual(c.rule_count, 1)
                self.assertEqual(c.clean(text), ARTICLE[0] + "\n")

    def test_threads_match_one_thread(self):
        pages = [page(i) for i in range(200)]
        c = chaff.Cleaner()
        one = [c.clean(p) for p in pages]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            many = list(pool.map(c.clean, pages))
        self.assertEqual(one, many)
        self.assertTrue(all(WIDGET not in o for o in many))
        c.close()


class ErrorTest(unittest.TestCase):
    def test_bad_rule_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.rules")
            with open(path, "w") as f:
                f.write("@category login\n= fine\nkep this\n")
            with self.assertRaises(chaff.ChaffError) as cm:
                chaff.Cleaner(rules=[path], default_rules=False)
            self.assertEqual(cm.exception.status, 3)
            self.assertIn("bad.rules:3:", str(cm.exception))

    def test_missing_rules_folder(self):
        with self.assertRaises(chaff.ChaffError) as cm:
            chaff.Cleaner(rules_folder="/nonexistent/chaff-rules")
        self.assertEqual(cm.exception.status, 4)
        self.assertIn("/nonexistent/chaff-rules", str(cm.exception))

    def test_unknown_language(self):
        with self.assertRaises(chaff.ChaffError) as cm:
            chaff.clean(PAGE, lang="not-a-language")
        self.assertEqual(cm.exception.status, 6)

    def test_closed_and_wrong_type(self):
        c = chaff.Cleaner(default_rules=False)
        c.close()
        c.close()
        with self.assertRaises(chaff.ChaffError):
            c.clean(PAGE)
        with self.assertRaises(TypeError):
            chaff.clean(42)


class ExampleTest(unittest.TestCase):
    def test_datatrove_example(self):
        recs = [{"id": "a", "text": PAGE, "url": "https://ferries.example/a"},
                {"id": "b", "text": WIDGET + "\n"}]
        inp = "".join(json.dumps(r) + "\n" for r in recs)
        res = subprocess.run([sys.executable, os.path.join(HERE, "examples", "datatrove_filter.py")],
                             input=inp, capture_output=True, text=True, check=True)
        out = [json.loads(line) for line in res.stdout.splitlines()]
        self.assertEqual([r["id"] for r in out], ["a"])  # b came out empty
        self.assertNotIn(WIDGET, out[0]["text"])
        self.assertIn(ARTICLE[1], out[0]["text"])
        self.assertEqual(out[0]["metadata"]["chaff"]["chars_in"], len(PAGE))


if __name__ == "__main__":
    unittest.main()

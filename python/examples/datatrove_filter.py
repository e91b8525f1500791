"""A datatrove-style pipeline step that cleans each document's text with chaff.

datatrove steps take an iterator of documents (objects with .text, .id and
.metadata) and yield documents; this one rewrites .text, records what was
removed in .metadata["chaff"], and drops documents left empty.  With
datatrove installed it is a PipelineStep:

    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    pipeline = [JsonlReader("in/"), ChaffClean(lang="en"), JsonlWriter("out/")]

Without datatrove it runs on JSON Lines from standard input (one object per
line, "text" and optionally "url" or metadata.url), which is how
python/test_chaff.py tries it:

    python3 python/examples/datatrove_filter.py < pages.jsonl > clean.jsonl

One Cleaner serves every document and thread: the rules load once, and
datatrove's workers (processes or threads) each clean with it.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
import chaff  # noqa: E402  (python/chaff.py from this checkout)

try:
    from datatrove.pipeline.base import PipelineStep
except ImportError:  # the example runs without datatrove
    class PipelineStep:
        name = ""
        type = ""

        def __init__(self):
            pass

        def stat_update(self, *names, value=1):
            pass


class ChaffClean(PipelineStep):
    name = "chaff clean"
    type = "🧹 - FILTER"

    def __init__(self, rules=None, lang=None, drop_empty=True):
        super().__init__()
        self.cleaner = chaff.Cleaner(rules=rules, lang=lang)
        self.drop_empty = drop_empty

    def clean_one(self, text, metadata):
        url = metadata.get("url")
        out = self.cleaner.clean(text, url=url)
        metadata["chaff"] = {"chars_in": len(text), "chars_out": len(out)}
        return out

    def run(self, data, rank=0, world_size=1):
        for doc in data:
            doc.text = self.clean_one(doc.text, doc.metadata)
            if self.drop_empty and not doc.text.strip():
                self.stat_update("dropped_empty")
                continue
            self.stat_update("cleaned")
            yield doc


class _Doc:
    def __init__(self, rec):
        self.rec = rec
        self.text = rec.get("text", "")
        self.metadata = dict(rec.get("metadata") or {})
        if "url" in rec:
            self.metadata.setdefault("url", rec["url"])


def main():
    step = ChaffClean()
    docs = (_Doc(json.loads(line)) for line in sys.stdin if line.strip())
    for doc in step.run(docs):
        rec = dict(doc.rec, text=doc.text)
        rec["metadata"] = doc.metadata
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""soak_gen.py — mixed JSONL for make soak, written to stdout.

Usage: soak_gen.py MEGABYTES [SEED]

Every line starts with {"id":N, with N counting from 1, so the order of
the output can be checked whatever happens to a record.  Kinds, by share
of records: articles with chrome around them (text last, url, other
fields before it; some CRLF, some with a duplicated text key whose first
value must come out untouched), malformed lines (cut short, bare words
after the id, trailing garbage), lines of raw binary after the id,
records whose text decodes to binary, blank-ish lines of spaces are not
made (they carry no id), and about one record in 2000 huge: 1-40 MB of
article text or of \\n escapes, so some pass the cap of the run.
The same seed gives the same bytes.
"""
import json
import random
import sys

WORDS = ("the council met on tuesday to discuss new tram line across river residents of old "
         "harbour district argued about it for more than decade supporters say link will cut "
         "travel times thousands commuters opponents fear works close market square two "
         "summers traders depend city budget plan report school hospital bridge station").split()
CHROME = ["Home | News | Sport | Weather | Culture", "Share this article", "Sign in",
          "Subscribe to our newsletter", "Cookie settings", "Related articles", "Read more",
          "Copyright 2024 Example News. All rights reserved.", "Follow us on Facebook", "Menu"]


def sentence(r):
    n = r.randint(8, 30)
    s = " ".join(r.choice(WORDS) for _ in range(n))
    return s[0].upper() + s[1:] + "."


def article(r, paras):
    lines = [r.choice(CHROME) for _ in range(r.randint(0, 5))]
    for _ in range(paras):
        lines.append(" ".join(sentence(r) for _ in range(r.randint(1, 6))))
        if r.random() < 0.3:
            lines.append("")
    lines += [r.choice(CHROME) for _ in range(r.randint(0, 6))]
    return "\n".join(lines)


def main():
    total = int(sys.argv[1]) << 20
    r = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout.buffer
    n = 0
    written = 0
    while written < total:
        n += 1
        head = '{"id":%d,' % n
        k = r.random()
        if k < 0.0005:  # huge: article text or \n escapes, 1-40 MB
            size = r.randint(1, 40) << 20
            if r.random() < 0.5:
                body = json.dumps(article(r, 2000))[1:-1]
                body = body * (size // len(body) + 1)
            else:
                body = "\\n" * (size // 2)
            line = head + '"url":"https://huge.example.org/%d","text":"%s"}\n' % (n, body[:size])
        elif k < 0.80:  # good
            url = "https://news.example.org/%s/%d" % (r.choice(WORDS), n)
            meta = '"lang":"en","score":%d.%02d,"tags":["%s","%s"],' % (
                r.randint(0, 99), r.randint(0, 99), r.choice(WORDS), r.choice(WORDS))
            text = json.dumps(article(r, r.randint(1, 12)), ensure_ascii=r.random() < 0.5)
            if r.random() < 0.05:  # duplicated key: the last is cleaned, the first kept
                meta += '"text":%s,' % json.dumps(article(r, 1))
            line = head + '"url":"%s",%s"text":%s}' % (url, meta, text)
            line += "\r\n" if r.random() < 0.1 else "\n"
        elif k < 0.90:  # malformed
            good = head + '"text":%s}' % json.dumps(article(r, 2))
            m = r.random()
            if m < 0.4:
                line = good[: r.randint(len(head), len(good) - 1)] + "\n"
            elif m < 0.7:
                line = head + " not json at all, " + sentence(r) + "\n"
            else:
                line = good + " trailing garbage\n"
        elif k < 0.95:  # raw binary after the id (no newline inside)
            b = bytes(r.getrandbits(8) for _ in range(r.randint(10, 3000))).replace(b"\n", b" ")
            out.write(head.encode() + b'"bin":"' + b)
            out.write(b"\n")
            written += len(head) + 8 + len(b)
            continue
        else:  # text that decodes to binary
            ctl = "".join("\\u%04x" % r.choice([0, 1, 2, 3, 7, 8, 14, 15, 16, 31]) for _ in range(200))
            line = head + '"text":"%s"}\n' % ctl
        b = line.encode()
        out.write(b)
        written += len(b)
    sys.stderr.write("%d records, %d bytes\n" % (n, written))


main()

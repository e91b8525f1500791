#!/bin/sh
# run.sh — the scale-out recipes of docs/scale-out.md, checked: GNU parallel
# splitting JSON Lines (--pipe -k) and WET (--recstart 'WARC/1.0') over 2
# workers gives byte for byte what one chaff gives, and `chaff learn` as
# map (--counts per block) and reduce (--merge) writes the rules one learn
# over everything writes.
#
# The input is made up here (awk, deterministic): 5 sites, each page with
# the site's chrome lines around a few article sentences of its own, in
# blocks small enough (--block 16k) that each worker gets many.
#
# Usage: CHAFF=build/chaff sh tests/scale-out/run.sh
# Skips (exit 0, saying so) only when GNU parallel is not installed;
# scripts/install-deps.sh installs it.
set -u
CHAFF=${CHAFF:-build/chaff}
if ! command -v parallel >/dev/null 2>&1; then
    echo "scale-out: skipped: GNU parallel is not installed (sh scripts/install-deps.sh)"
    exit 0
fi
t=$(mktemp -d "${TMPDIR:-/tmp}/chaff-scale.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT
P="parallel --will-cite -j2 --block 16k"
fail=0
same() { # name file1 file2
    if cmp -s "$2" "$3"; then
        echo "scale-out: $1: identical ($(wc -c <"$2") bytes)"
    else
        echo "scale-out: $1: outputs differ"
        diff "$2" "$3" | head -n 10
        fail=1
    fi
}

awk -v n=600 'BEGIN {
    for (i = 0; i < n; i++) {
        s = i % 5
        t = "Home | Ferries | Timetables | Contact site " s "\\n"
        t = t "Sign in to your account\\n"
        for (k = 0; k < 3; k++)
            t = t "Report " i " paragraph " k ": the harbour board met on day " (i * 7 + k) \
                " and agreed that boat " (i % 13) " would keep its morning crossing for now.\\n"
        t = t "Share this story with site " s " readers\\n"
        printf "{\"id\":%d,\"url\":\"https://site%d.example/news/%d\",\"text\":\"%s\"}\n", i, s, i, t
    }
}' >"$t/pages.jsonl"

# JSON Lines: one record per line, so any block boundary is a record's.
$CHAFF -f jsonl "$t/pages.jsonl" >"$t/one.jsonl" || fail=1
$P --pipe -k "$CHAFF -f jsonl" <"$t/pages.jsonl" >"$t/par.jsonl" || fail=1
same "parallel --pipe -k over jsonl" "$t/one.jsonl" "$t/par.jsonl"

# WET: records start at a line "WARC/1.0"; --recstart keeps them whole.
awk -v n=300 'BEGIN {
    printf "WARC/1.0\r\nWARC-Type: warcinfo\r\nContent-Type: application/warc-fields\r\nContent-Length: 20\r\n\r\nsoftware: made-up\r\n\r\n\r\n"
    for (i = 0; i < n; i++) {
        s = i % 5
        b = "Home | Ferries | Timetables | Contact site " s "\n"
        b = b "Sign in to your account\n"
        for (k = 0; k < 3; k++)
            b = b "Report " i " paragraph " k ": the harbour board met on day " (i * 7 + k) \
                " and agreed that boat " (i % 13) " would keep its morning crossing for now.\n"
        printf "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: https://site%d.example/news/%d\r\n", s, i
        printf "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n", length(b), b
    }
}' >"$t/pages.wet"
$CHAFF -f warc "$t/pages.wet" >"$t/one.wet" || fail=1
$P --pipe -k --recstart 'WARC/1.0' "$CHAFF -f warc" <"$t/pages.wet" >"$t/par.wet" || fail=1
same "parallel --pipe -k --recstart over WET" "$t/one.wet" "$t/par.wet"

# chaff learn: counts per block (map), merged (reduce).
$CHAFF learn -f jsonl "$t/pages.jsonl" >"$t/one.rules" || fail=1
$P --pipe "$CHAFF learn -f jsonl --counts >$t/part.{#}.counts" <"$t/pages.jsonl" || fail=1
n=$(ls "$t"/part.*.counts | wc -l)
$CHAFF learn --merge "$t"/part.*.counts >"$t/merged.rules" || fail=1
same "learn --counts in $n blocks, then --merge" "$t/one.rules" "$t/merged.rules"
if [ "$n" -lt 2 ]; then
    echo "scale-out: learn: the input went into $n block(s), not several"
    fail=1
fi
if ! grep -q 'sign in to your account' "$t/one.rules"; then
    echo "scale-out: learn: the widget line was not learned"; fail=1
fi

exit $fail

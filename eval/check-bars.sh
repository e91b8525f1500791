#!/bin/sh
# check-bars.sh — fail when chaff's quality is below the project's bars.
#
# Usage: sh eval/check-bars.sh [CHAFF]
#        EVAL_SUMMARY=eval/out/summary.tsv sh eval/check-bars.sh
# Runs eval/run.sh with the same arguments (so the figures are never stale),
# or only reads the summary EVAL_SUMMARY names, and checks chaff's mean
# figures:
#   dev     F1 >= 0.92 and recall >= 0.95
#   dev-ml  F1 >= 0.80 in every language; overall F1 >= 0.85 and recall >= 0.90
# Prints one line per bar; exits 1 when any is missed, 2 when a figure is
# missing.  Not part of `make check`: the bars are goals, measured on data
# outside the repository.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${EVAL_SUMMARY:-}" ]; then
    summary=$EVAL_SUMMARY
    [ -s "$summary" ] || { echo "check-bars: $summary: no summary" >&2; exit 2; }
else
    summary=$top/eval/out/summary.tsv
    sh "$top/eval/run.sh" "$@"
    echo
fi

awk -F'\t' '
    NR > 1 && $3 == "chaff" { R[$1, $2] = $5; F[$1, $2] = $6
                              if ($1 == "dev-ml" && $2 != "all") langs[$2] = 1 }
    function bar(name, have, want) {
        if (have == "") { printf "MISSING %s\n", name; missing = 1; return }
        ok = have + 0 >= want
        printf "%-4s %-24s %.3f (bar %.2f)\n", ok ? "ok" : "LOW", name, have, want
        if (!ok) low = 1
    }
    END {
        bar("dev F1", F["dev", "all"], 0.92)
        bar("dev recall", R["dev", "all"], 0.95)
        n = 0
        for (l in langs) names[++n] = l
        for (i = 2; i <= n; i++)    # insertion sort: stable output order
            for (j = i; j > 1 && names[j - 1] > names[j]; j--) {
                t = names[j]; names[j] = names[j - 1]; names[j - 1] = t
            }
        if (n == 0) { print "MISSING dev-ml languages"; missing = 1 }
        for (i = 1; i <= n; i++) bar("dev-ml " names[i] " F1", F["dev-ml", names[i]], 0.80)
        bar("dev-ml F1", F["dev-ml", "all"], 0.85)
        bar("dev-ml recall", R["dev-ml", "all"], 0.90)
        if (missing) exit 2
        if (low) { print "check-bars: below the bars"; exit 1 }
        print "check-bars: all bars met"
    }' "$summary"

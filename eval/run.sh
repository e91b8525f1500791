#!/bin/sh
# run.sh — token precision/recall/F1 of chaff on the development sets.
#
# Usage: sh eval/run.sh [CHAFF]        (make eval passes build/chaff)
#   CHAFF           the command (default $CHAFF, else build/chaff); may be
#                   several words
#   CHAFF_EVAL_DIR  the folder holding dev/, dev-ml/ and score.py (default
#                   ../shared/eval beside the checkout)
#   EVAL_JOBS       chaff runs at once (default 2)
#   EVAL_URL=0      do not pass --url (for stand-ins that take no options)
#   EVAL_OUT        the output folder (default eval/out)
#
# For each data set, chaff runs once per page (<id>.txt, the page text with
# its chrome) with `--url` from MANIFEST.tsv when the manifest knows the page
# (dev-ml only knows the site: https://SITE/ is passed), as a pipeline that
# has the URL would.  Outputs go to eval/out/<set>/<id>.txt.  Two reference
# points are scored beside it: no cleaning (the input itself) and a C4-style
# line filter (eval/c4.py).  dev-ml is also scored per language, through
# eval/out/ml-<lang>/ folders of links to that language's gold files.
# Figures are means over documents, from the data set's own score.py.
# Writes eval/out/summary.tsv (set, subset, method, P, R, F1, documents) for
# eval/check-bars.sh.  Exits non-zero when the scorer fails or any chaff run
# exits non-zero (after printing the tables).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
chaff=${1:-${CHAFF:-$top/build/chaff}}
evaldir=${CHAFF_EVAL_DIR:-$top/../shared/eval}
jobs=${EVAL_JOBS:-2}
out=${EVAL_OUT:-$top/eval/out}
tab=$(printf '\t')

die() {
    echo "eval: $*" >&2
    exit 2
}

[ -f "$evaldir/score.py" ] || die "no score.py in $evaldir (set CHAFF_EVAL_DIR)"
evaldir=$(cd "$evaldir" && pwd)
# shellcheck disable=SC2086 # $chaff may be a command line
set -- $chaff
command -v "$1" >/dev/null 2>&1 || die "$1: not found (build it first: make)"

rm -rf "$out"
mkdir -p "$out"
summary=$out/summary.tsv
printf 'set\tsubset\tmethod\tP\tR\tF1\tdocuments\n' >"$summary"
chaff_failed=0

# tasks SET: "id<TAB>url" for every page of the set (url may be empty).
tasks() {
    d=$evaldir/$1
    for f in "$d"/*.txt; do
        case $f in *.gold.txt) continue ;; esac
        [ -f "$f" ] || continue
        b=${f##*/}
        echo "${b%.txt}"
    done >"$out/$1.ids"
    # The dev manifest has no header (id, url); dev-ml's has one (id, lang,
    # site, source_encoding).
    awk -F'\t' -v want="${EVAL_URL:-1}" '
        FILENAME == ARGV[1] {
            if (FNR == 1 && $1 == "id") {
                for (i = 2; i <= NF; i++) {
                    if ($i == "url") ucol = i
                    if ($i == "site") scol = i
                }
                next
            }
            if (FNR == 1 && !ucol && !scol) ucol = 2
            if (ucol && $ucol != "") url[$1] = $ucol
            else if (scol && $scol != "") url[$1] = "https://" $scol "/"
            next
        }
        { print $1 "\t" ((want != "0" && ($1 in url)) ? url[$1] : "") }
    ' "$evaldir/$1/MANIFEST.tsv" "$out/$1.ids"
}

# run_chaff SET: chaff on every page of SET, EVAL_JOBS at a time.
run_chaff() {
    set_name=$1
    d=$evaldir/$set_name
    pred=$out/$set_name
    mkdir -p "$pred" "$out/$set_name.stderr"
    : >"$out/$set_name.failed"
    n=0
    tasks "$set_name" >"$out/$set_name.tasks"
    while IFS="$tab" read -r id url; do
        (
            # shellcheck disable=SC2086
            if [ -n "$url" ]; then
                $chaff --url "$url" <"$d/$id.txt" >"$pred/$id.txt" 2>"$out/$set_name.stderr/$id"
            else
                $chaff <"$d/$id.txt" >"$pred/$id.txt" 2>"$out/$set_name.stderr/$id"
            fi || echo "$id exit $?" >>"$out/$set_name.failed"
        ) </dev/null &
        n=$((n + 1))
        [ $((n % jobs)) -ne 0 ] || wait
    done <"$out/$set_name.tasks"
    wait
    nf=$(wc -l <"$out/$set_name.failed" | tr -d ' ')
    nw=$(find "$out/$set_name.stderr" -type f -size +0 | wc -l | tr -d ' ')
    echo "eval: $set_name: chaff ran on $n pages; $nf failed; $nw wrote to stderr" \
        "(eval/out/$set_name.stderr/)"
    if [ "$nf" -ne 0 ]; then
        head -n 5 "$out/$set_name.failed" | sed 's/^/eval:   /'
        chaff_failed=1
    fi
}

# score SET SUBSET METHOD GOLD_DIR PRED_DIR: one table row and summary line.
score() {
    json=$(python3 "$evaldir/score.py" --dir "$4" --pred-dir "$5" --json) ||
        die "score.py failed on $4 against $5"
    row=$(printf '%s\n' "$json" | sed -n 's/.*"precision": {"mean": \([-0-9.e]*\).*"recall": {"mean": \([-0-9.e]*\).*"f1": {"mean": \([-0-9.e]*\).*"documents": \([0-9]*\).*/\1 \2 \3 \4/p')
    [ -n "$row" ] || die "cannot read score.py output: $json"
    # shellcheck disable=SC2086
    set -- "$1" "$2" "$3" $row
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$summary"
    printf '  %-8s %-12s %6.3f %6.3f %6.3f %5d\n' "$2" "$3" "$4" "$5" "$6" "$7"
}

header() {
    echo
    echo "$1"
    printf '  %-8s %-12s %6s %6s %6s %5s\n' subset method P R F1 docs
}

# --- dev: English news pages -------------------------------------------
run_chaff dev
python3 "$top/eval/c4.py" "$evaldir/dev" "$out/c4-dev"
header "dev ($evaldir/dev)"
score dev all chaff "$evaldir/dev" "$out/dev"
score dev all "no-cleaning" "$evaldir/dev" "$evaldir/dev"
score dev all c4 "$evaldir/dev" "$out/c4-dev"

# --- dev-ml: zh ru en pl el --------------------------------------------
run_chaff dev-ml
python3 "$top/eval/c4.py" "$evaldir/dev-ml" "$out/c4-dev-ml"
langs=$(awk -F'\t' 'NR > 1 && $2 != "" { print $2 }' "$evaldir/dev-ml/MANIFEST.tsv" |
    awk '!seen[$0]++')
for lang in $langs; do
    mkdir -p "$out/ml-$lang"
    awk -F'\t' -v l="$lang" 'NR > 1 && $2 == l { print $1 }' "$evaldir/dev-ml/MANIFEST.tsv" |
        while read -r id; do
            ln -sf "$evaldir/dev-ml/$id.gold.txt" "$out/ml-$lang/$id.gold.txt"
        done
done
header "dev-ml ($evaldir/dev-ml)"
for method in chaff no-cleaning c4; do
    case $method in
    chaff) pred=$out/dev-ml ;;
    no-cleaning) pred=$evaldir/dev-ml ;;
    c4) pred=$out/c4-dev-ml ;;
    esac
    for lang in $langs; do
        score dev-ml "$lang" "$method" "$out/ml-$lang" "$pred"
    done
    score dev-ml all "$method" "$evaldir/dev-ml" "$pred"
done

# --- per-language fixtures: a page of article text in each language pack's
# language framed by realistic chrome (tests/fixtures/lang-*); the gold is
# the fixture's expected output, the article lines --------------------------
fx_langs=""
mkdir -p "$out/fx-pred" "$out/fx-input"
for fx in "$top"/tests/fixtures/lang-*; do
    [ -f "$fx/input" ] && [ -f "$fx/expected" ] || continue
    lang=${fx##*/lang-}
    fx_langs="$fx_langs $lang"
    mkdir -p "$out/fx-$lang"
    ln -sf "$fx/expected" "$out/fx-$lang/$lang.gold.txt"
    ln -sf "$fx/input" "$out/fx-input/$lang.txt"
    # shellcheck disable=SC2086
    $chaff <"$fx/input" >"$out/fx-pred/$lang.txt" 2>/dev/null || {
        echo "eval: fixture lang-$lang: chaff failed" >&2
        chaff_failed=1
    }
done
header "per-language fixtures ($top/tests/fixtures/lang-*)"
for method in chaff no-cleaning; do
    case $method in
    chaff) pred=$out/fx-pred ;;
    no-cleaning) pred=$out/fx-input ;;
    esac
    for lang in $fx_langs; do
        score fixtures "$lang" "$method" "$out/fx-$lang" "$pred"
    done
done

# --- the figures as a note would quote them -----------------------------
echo
awk -F'\t' '
    NR > 1 { k = $1 SUBSEP $2 SUBSEP $3; P[k] = $4; R[k] = $5; F[k] = $6; N[k] = $7
             if ($1 == "dev-ml" && $2 != "all" && !($2 in seen)) { seen[$2] = 1; order[++nl] = $2 } }
    function f(s, sub_, m) { return sprintf("%.3f", F[s SUBSEP sub_ SUBSEP m]) }
    END {
        d = "dev" SUBSEP "all" SUBSEP "chaff"
        printf "dev (%d pages): chaff F1 %.3f (P %.3f, R %.3f); no cleaning %s; C4-style filter %s\n",
            N[d], F[d], P[d], R[d], f("dev", "all", "no-cleaning"), f("dev", "all", "c4")
        m = "dev-ml" SUBSEP "all" SUBSEP "chaff"
        s = ""
        for (i = 1; i <= nl; i++) s = s sprintf("%s%s %s", i > 1 ? ", " : "", order[i], f("dev-ml", order[i], "chaff"))
        printf "dev-ml (%d pages): chaff F1 %.3f (P %.3f, R %.3f); by language %s\n",
            N[m], F[m], P[m], R[m], s
        s = ""
        for (i = 1; i <= nl; i++) s = s sprintf("%s%s %s", i > 1 ? ", " : "", order[i], f("dev-ml", order[i], "no-cleaning"))
        printf "dev-ml no cleaning F1 %s (%s); C4-style filter %s\n", f("dev-ml", "all", "no-cleaning"), s, f("dev-ml", "all", "c4")
        s = ""; n = 0; lo = 2; sp = 0; sr = 0; base = 0
        for (k in F) {
            split(k, a, SUBSEP)
            if (a[1] != "fixtures") continue
            if (a[3] == "no-cleaning") { base += F[k]; continue }
            n++; sp += P[k]; sr += R[k]; if (F[k] < lo) lo = F[k]
            fx[n] = sprintf("%s %.3f", a[2], F[k])
        }
        if (n) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (fx[j] < fx[i]) { t = fx[i]; fx[i] = fx[j]; fx[j] = t }
            for (i = 1; i <= n; i++) s = s (i > 1 ? ", " : "") fx[i]
            printf "fixtures (%d languages): chaff F1 min %.3f, mean P %.3f R %.3f (no cleaning F1 %.3f): %s\n",
                n, lo, sp / n, sr / n, base / n, s
        }
    }' "$summary"

if [ "$chaff_failed" -ne 0 ]; then
    echo "eval: some chaff runs failed (see above)" >&2
    exit 1
fi

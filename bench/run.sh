#!/bin/sh
# run.sh — chaff's throughput beside the floor measured in the same run.
#
# Usage: sh bench/run.sh [CHAFF]        (make bench passes build/chaff)
#   CHAFF        the command to measure (default $CHAFF, else build/chaff);
#                it may be several words
#   BENCH_MB     corpus size in MB (default 100)
#   BENCH_RUNS   runs per measurement, the median is reported (default 3)
#   CC           compiler for the helpers (default cc)
#
# Builds bench/gen, bench/floor and bench/timeit into bench/out/, generates
# the corpus there when it is missing (bench/gen.c says what it holds), and
# converts its Chinese part to GBK with iconv.  Every measurement reads a
# file on stdin, writes stdout to /dev/null and is timed as a whole process,
# so rule loading and thread start-up count.  The floor is bench/floor (a
# fread + memchr line counter) over the same file.  Peak RSS is
# /usr/bin/time's %M when that exists, else timeit's wait4() figure.  When
# ../shared/eval is beside the tree (CHAFF_EVAL_DIR), its unique pages are
# measured too, as one JSONL stream.  The last line is the warm start: one
# small page, median of 20 runs.  Nothing is written outside bench/out.  Exits 1 when any chaff run failed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
chaff=${1:-${CHAFF:-$top/build/chaff}}
out=$top/bench/out
mb=${BENCH_MB:-100}
runs=${BENCH_RUNS:-3}
cc=${CC:-cc}

mkdir -p "$out"
for prog in gen floor timeit; do
    if [ ! -x "$out/$prog" ] ||
        [ -n "$(find "$top/bench/$prog.c" -newer "$out/$prog" 2>/dev/null)" ]; then
        $cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            -o "$out/$prog" "$top/bench/$prog.c"
    fi
done

stamp="$mb $(cksum <"$top/bench/gen.c")"
if [ ! -s "$out/corpus.jsonl" ] || [ ! -s "$out/corpus.gbk.txt" ] || [ ! -s "$out/corpus.wet" ] ||
    [ "$(cat "$out/corpus.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "bench: generating a ${mb} MB corpus in $out"
    rm -f "$out/corpus.stamp"
    "$out/gen" "$out" "$mb"
    iconv -f UTF-8 -t GBK "$out/corpus.zh.txt" >"$out/corpus.gbk.txt"
    echo "$stamp" >"$out/corpus.stamp"
fi

have_time=0
[ -x /usr/bin/time ] && have_time=1

# measure FILE COMMAND...: runs it $runs times with FILE on stdin; sets
# $secs (median) and $rss (median peak, KB); returns the first failure.
measure() {
    file=$1
    shift
    : >"$out/times"
    i=0
    while [ "$i" -lt "$runs" ]; do
        i=$((i + 1))
        if [ "$have_time" = 1 ]; then
            "$out/timeit" "$out/res" /usr/bin/time -f %M -o "$out/rss" "$@" \
                <"$file" >/dev/null 2>"$out/stderr" || return 1
            r=$(tail -n 1 "$out/rss")
        else
            "$out/timeit" "$out/res" "$@" <"$file" >/dev/null 2>"$out/stderr" || return 1
            r=$(cut -d' ' -f2 "$out/res")
        fi
        echo "$(cut -d' ' -f1 "$out/res") $r" >>"$out/times"
    done
    secs=$(sort -n "$out/times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    rss=$(sort -n -k2 "$out/times" | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }')
}

bytes_of() { wc -c <"$1" | tr -d ' '; }

# Warm the page cache so the first measurement does not pay for the disk.
cat "$out/corpus.txt" "$out/corpus.gbk.txt" "$out/corpus.jsonl" "$out/corpus.wet" >/dev/null

# The unique pages of the evaluation data (../shared/eval, every folder) as
# one JSONL stream: real pages, none repeated, so no cache of repeats
# flatters the figure.  Skipped when the data is not beside the tree.
eval_dir=${CHAFF_EVAL_DIR:-$top/../shared/eval}
if [ -d "$eval_dir" ] && [ ! -s "$out/eval.jsonl" ]; then
    TOP_DIR=$top python3 - "$eval_dir" "$out/eval.jsonl" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ.get("TOP_DIR", "."), "eval"))
import evaluate
src, dst = sys.argv[1], sys.argv[2]
with open(dst + ".tmp", "w", encoding="utf-8") as out:
    for s in evaluate.SETS:
        folder = os.path.join(src, s)
        man = evaluate.manifest(folder)
        for i in evaluate.pages(folder):
            out.write(json.dumps({"id": s + "/" + i, "url": man.get(i, ("", ""))[0],
                                  "text": evaluate.read(os.path.join(folder, i + ".txt"))},
                                 ensure_ascii=False) + "\n")
os.rename(dst + ".tmp", dst)
PY
fi

echo "bench: chaff = $chaff (shipped rules, build/rules.db); median of $runs runs"
printf '%-28s %8s %12s %12s %7s %10s\n' input MB "chaff MB/s" "floor MB/s" ratio "peak RSS"
failed=0
row() {
    label=$1 file=$2
    shift 2
    size=$(bytes_of "$file")
    measure "$file" "$out/floor"
    floor_secs=$secs
    # shellcheck disable=SC2086 # $chaff may be a command line
    if measure "$file" $chaff "$@"; then
        awk -v l="$label" -v b="$size" -v c="$secs" -v f="$floor_secs" -v r="$rss" 'BEGIN {
            mb = b / 1e6; cs = mb / c; fs = mb / f
            printf "%-28s %8.1f %12.1f %12.1f %7.3f %7.1f MB\n", l, mb, cs, fs, cs / fs, r / 1024
        }'
    else
        printf '%-28s %8s  FAILED:' "$label" "$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')"
        head -n 3 "$out/stderr" | tr '\n' ' '
        echo
        failed=1
    fi
}

row "utf-8 -f lines" "$out/corpus.txt" -f lines
row "gbk -f lines --from gbk" "$out/corpus.gbk.txt" -f lines --from gbk
row "gbk -f lines (detected)" "$out/corpus.gbk.txt" -f lines
row "jsonl -f jsonl -j1" "$out/corpus.jsonl" -f jsonl -j1
row "jsonl -f jsonl -j2" "$out/corpus.jsonl" -f jsonl -j2
row "wet -f warc -j2" "$out/corpus.wet" -f warc -j2
if [ -s "$out/eval.jsonl" ]; then
    row "eval pages -f jsonl -j1" "$out/eval.jsonl" -f jsonl -j1
    row "eval pages -f jsonl -j2" "$out/eval.jsonl" -f jsonl -j2
fi

# Start-up: one small page, 20 runs, the median wall time.
page=$top/tests/fixtures/seed-003/input
: >"$out/times"
i=0
while [ "$i" -lt 20 ]; do
    i=$((i + 1))
    # shellcheck disable=SC2086 # $chaff may be a command line
    "$out/timeit" "$out/res" $chaff <"$page" >/dev/null 2>&1 || failed=1
    cut -d' ' -f1 "$out/res" >>"$out/times"
done
sort -n "$out/times" | awk '{ a[NR] = $1 } END { printf "warm start, one page: %.1f ms (median of %d runs)\n", a[int((NR + 1) / 2)] * 1000, NR }'

rm -f "$out/times" "$out/res" "$out/rss"
exit "$failed"

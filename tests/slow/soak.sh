#!/bin/sh
# soak.sh — make soak: SOAK_MB megabytes (default 2048) of mixed JSONL
# (tests/slow/soak_gen.py: articles, CRLF and duplicate keys, malformed
# lines, binary, records of 1-40 MB) through `chaff -f jsonl` with -j1
# and with -j2 and a document cap of SOAK_CAP megabytes (default 16, so
# some records pass it).  Checks: the two outputs identical, records in =
# records out, ids in order, bytes outside the cleaned text identical
# (tests/slow/soak_check.py), and each run's peak RSS (from /usr/bin/time)
# under 2 x the cap + 64 MiB, and 64 MiB more with a batch (-j2): a record
# is held as read and its text with JSON escapes undone, a batch holds up
# to 32 MiB of records and their outputs (README.md, Limits).  Prints the
# figures; status 1 on failure.
#
# Usage: [SOAK_MB=N] [SOAK_CAP=N] [SOAK_SEED=N] CHAFF=build/chaff sh tests/slow/soak.sh
set -u
CHAFF=${CHAFF:-build/chaff}
mb=${SOAK_MB:-2048}
cap=${SOAK_CAP:-16}
seed=${SOAK_SEED:-1}
py=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd) || exit 2
[ -x /usr/bin/time ] || { echo "soak: /usr/bin/time is needed" >&2; exit 2; }
t=$(mktemp -d "${TMPDIR:-/tmp}/chaff-soak.XXXXXX") || exit 2
trap 'rm -rf "$t"' EXIT
export CHAFF_CACHE_DIR=${CHAFF_CACHE_DIR:-$t/cache}
failed=0

echo "soak: generating $mb MB of mixed JSONL (seed $seed)"
"$py" "$here/soak_gen.py" "$mb" "$seed" >"$t/in" 2>"$t/gen" || exit 2
echo "soak: $(cat "$t/gen")"
inmb=$(($(wc -c <"$t/in") / 1048576))
for j in 1 2; do
    limit_kb=$(((2 * cap + 64 + (j > 1 ? 64 : 0)) * 1024))
    /usr/bin/time -f '%e %M' -o "$t/time$j" $CHAFF -q -f jsonl -j$j --max-doc ${cap}M \
        --stats="$t/stats$j" "$t/in" >"$t/out$j"
    rc=$?
    set -- $(tail -n 1 "$t/time$j")
    v=ok
    [ "$rc" -eq 0 ] || v="FAIL (exit $rc)"
    [ "$2" -le "$limit_kb" ] || v="FAIL (memory)"
    case $v in FAIL*) failed=1 ;; esac
    awk -v s="$1" -v kb="$2" -v mb="$inmb" -v j="$j" -v lim="$limit_kb" -v v="$v" 'BEGIN {
        printf "soak: -j%d  %7.1f s  %6.1f MB/s  peak RSS %d MiB (limit %d MiB)  %s\n",
            j, s, mb / (s > 0 ? s : 1), kb / 1024, lim / 1024, v }'
    grep -o '"records":[0-9]*,"records_error":[0-9]*' "$t/stats$j" | sed 's/^/soak:      /'
    grep -o '"binary":[0-9]*' "$t/stats$j" | sed 's/^/soak:      /'
done
if cmp -s "$t/out1" "$t/out2"; then
    echo "soak: -j1 and -j2 outputs identical ($(wc -c <"$t/out1") bytes)"
else
    echo "soak: FAIL: -j1 and -j2 outputs differ"
    failed=1
fi
"$py" "$here/soak_check.py" "$t/in" "$t/out1" || failed=1
exit $failed

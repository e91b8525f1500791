#!/bin/sh
# size.sh — the size cases of issue 10 (rows 8 and 9), too slow for
# make check: each input is generated in a temporary folder, run through
# chaff under /usr/bin/time, and held to a time and a peak-RSS limit.
#
#   case              input                          limits (old code)
#   long-line         one 1 GiB line, text, 64M cap   60 s, cap + 32 MiB, output = input (246 s, 5.3 GB)
#   newlines          64 MiB of newlines, text        60 s, 96 MiB                           (7.8 GB)
#   jsonl-escapes     one 32 MiB JSONL record of \n   60 s, 96 MiB, one record out           (2 GB)
#   crlf              64 MiB of CRLF lines, text      60 s, 128 MiB                          (161 MiB)
#   jsonl-text        one 64 MiB JSONL record of text 60 s, 128 MiB, one record out          (165 MiB)
#   warc-block        one 64 MiB WET text record      60 s, 128 MiB, one record out
#   short-lines       8 Mi lines of "a", text         120 s, 64 MiB        (did not finish in 12 min)
#   binary            300 MiB of random bytes, text   10 s, 16 MiB, refused                  (69 s, 1.86 GB)
#   binary-lines      300 MiB of random bytes, lines  120 s, 32 MiB, records in = records out
#
# The memory limits hold the document once plus a constant: the window or
# record as read, and the part being decoded and judged (README.md, Limits).
#
# Usage: CHAFF=build/chaff sh tests/slow/size.sh [CASE]...
# SIZE_SCALE=N divides every input size by N (a quick run; the limits stay).
# Prints one line per case: seconds, peak RSS, limit, ok or FAIL; the
# status is 1 when any case failed.
set -u
CHAFF=${CHAFF:-build/chaff}
scale=${SIZE_SCALE:-1}
[ -x /usr/bin/time ] || { echo "size.sh: /usr/bin/time is needed" >&2; exit 2; }
t=$(mktemp -d "${TMPDIR:-/tmp}/chaff-size.XXXXXX") || exit 2
trap 'rm -rf "$t"' EXIT
export CHAFF_CACHE_DIR=${CHAFF_CACHE_DIR:-$t/cache}
failed=0
mib=1048576

# run NAME MAX_SECONDS MAX_RSS_MIB CHAFF-ARGS... (input in $t/in, output in
# $t/out, messages in $t/err); sets $secs and $rss_kb
run() {
    name=$1 max_s=$2 max_mb=$3
    shift 3
    /usr/bin/time -f '%e %M' -o "$t/time" timeout $((max_s * 3)) $CHAFF "$@" <"$t/in" >"$t/out" 2>"$t/err"
    rc=$?
    secs=$(tail -n 1 "$t/time" | cut -d' ' -f1)
    rss_kb=$(tail -n 1 "$t/time" | cut -d' ' -f2)
    verdict=ok
    [ "$rc" -eq 0 ] || verdict="FAIL (exit $rc)"
    awk -v s="$secs" -v m="$max_s" 'BEGIN { exit !(s + 0 <= m) }' || verdict="FAIL (time)"
    [ "${rss_kb:-0}" -le $((max_mb * 1024)) ] || verdict="FAIL (memory)"
}

report() { # report NAME EXTRA-VERDICT
    [ -n "$2" ] && verdict="FAIL ($2)"
    case $verdict in FAIL*) failed=1 ;; esac
    printf '%-14s %7.1f s %7d MiB peak (limit %d s, %d MiB)  %s\n' "$1" "$secs" $((rss_kb / 1024)) \
        "$max_s" "$max_mb" "$verdict"
}

want() { [ $# -eq 0 ] && return 0; for c; do [ "$c" = "$case" ] && return 0; done; return 1; }

sentence='The council met on Tuesday to discuss the new tram line across the river, and the residents of the old harbour district argued about it for more than a decade.'

case=long-line; if want "$@"; then
    yes "$sentence" | head -c $((1024 * mib / scale)) | tr '\n' ' ' >"$t/in"
    echo 'That is the end of the story.' >>"$t/in"
    cap=64; run $case 60 $((cap + 32)) --no-default-rules --max-doc ${cap}M
    x=""; cmp -s "$t/in" "$t/out" || x="output differs from input"
    report $case "$x"
fi

case=newlines; if want "$@"; then
    head -c $((64 * mib / scale)) /dev/zero | tr '\0' '\n' >"$t/in"
    run $case 60 96 --no-default-rules
    report $case ""
fi

case=jsonl-escapes; if want "$@"; then
    { printf '{"id":1,"text":"'; yes '\n' | head -n $((16 * mib / scale)) | tr -d '\n'; printf '"}\n'; } >"$t/in"
    run $case 60 96 --no-default-rules -f jsonl
    x=""; [ "$(wc -l <"$t/out")" -eq 1 ] || x="$(wc -l <"$t/out") records out"
    report $case "$x"
fi

case=crlf; if want "$@"; then
    # 64 MiB of ordinary lines ending in CRLF: decoded (CRs dropped) a
    # part at a time, not into a second whole copy
    yes "$sentence" | head -c $((64 * mib / scale)) | sed 's/$/\r/' >"$t/in"
    run $case 60 128 --no-default-rules
    x=""; [ "$(wc -l <"$t/out")" -gt 0 ] || x="nothing out"
    report $case "$x"
fi

case=jsonl-text; if want "$@"; then
    # one JSONL record holding 64 MiB of ordinary lines: its escapes undone
    # a part at a time, not into a second whole copy
    { printf '{"id":1,"text":"'; yes "$sentence" | head -c $((64 * mib / scale)) | sed 's/$/\\n/' | tr -d '\n'; printf '"}\n'; } >"$t/in"
    run $case 60 128 --no-default-rules -f jsonl
    x=""; [ "$(wc -l <"$t/out")" -eq 1 ] || x="$(wc -l <"$t/out") records out"
    report $case "$x"
fi

case=warc-block; if want "$@"; then
    # one WET text record of 64 MiB: its cleaned block is made twice (its
    # length goes first) rather than held whole beside the record
    yes "$sentence" | awk '{ print "Item " NR ": " $0 " (" NR * 7 % 1000 ")" }' | head -c $((64 * mib / scale)) >"$t/block"
    { printf 'WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://example.org/a\r\n'
      printf 'Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n' "$(wc -c <"$t/block")"
      cat "$t/block"; printf '\r\n\r\n'; } >"$t/in"
    rm -f "$t/block"
    run $case 60 128 --no-default-rules -f warc --max-doc 128M
    x=""; [ "$(grep -c '^WARC/1.0' "$t/out")" -eq 1 ] || x="not one record out"
    report $case "$x"
fi

case=short-lines; if want "$@"; then
    yes a | head -n $((8 * mib / scale)) >"$t/in"
    run $case 120 64 --no-default-rules
    report $case ""
fi

case=binary; if want "$@"; then
    head -c $((300 * mib / scale)) /dev/urandom >"$t/in"
    run $case 10 16 --no-default-rules --stats="$t/stats"
    x=""
    [ -s "$t/out" ] && x="$(wc -c <"$t/out") bytes written"
    grep -q '"binary":1' "$t/stats" || x="not counted as binary"
    grep -q 'binary data' "$t/err" || x="no message"
    report $case "$x"
fi

case=binary-lines; if want "$@"; then
    head -c $((300 * mib / scale)) /dev/urandom >"$t/in"
    run $case 120 32 --no-default-rules -q -f lines
    in=$(tr -dc '\n' <"$t/in" | wc -c)
    [ "$(tail -c 1 "$t/in" | od -An -b | tr -d ' ')" = 012 ] || in=$((in + 1))
    out=$(tr -dc '\n' <"$t/out" | wc -c)
    x=""; [ "$in" -eq "$out" ] || x="$in records in, $out out"
    report $case "$x"
fi

exit $failed

#!/bin/sh
# run-fixtures.sh — golden tests of the chaff command.
#
# Each folder tests/fixtures/<case>/ is one test:
#   input     stdin of the run (absent: /dev/null)
#   args      one line of extra words for chaff, evaluated by the shell so
#             quotes work; @DIR@ becomes the case folder's absolute path
#   cmd       instead of args: a shell script run in the case folder with
#             $CHAFF exported, for runs that need pipes, files, '-' or .gz
#   expected  exact stdout bytes
#   stderr    exact stderr bytes (absent: stderr is not compared)
#   exit      expected exit status (absent: 0)
# The run is `cd <case> && $CHAFF <args> < input`.  $CHAFF may be several
# words ("valgrind -q ... build/vg/chaff"), so it is split, not quoted;
# relative paths among its words (and in --opt=PATH) that exist are made
# absolute before the cd.
#
# Usage: [CHAFF=cmd] [BLESS=1] sh tests/run-fixtures.sh [CASE]...
# BLESS=1 rewrites expected (and stderr/exit when non-empty/non-zero or
# already present) from the actual run; review the change with git diff.
# The last line is always "N passed, N failed"; the status is 1 when any
# case failed or no case was found.  FIXTURE_TIMEOUT (seconds, default 300)
# bounds each case when timeout(1) exists.

here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(dirname "$here")
fixtures=$here/fixtures

# Make relative path words of $CHAFF absolute against the caller's
# directory: the command runs inside each case folder.
resolve_cmd() {
    set -f # runs in $(...): split $1 into words, never glob them
    out=""
    for w in $1; do
        case $w in
        /* | -*=/*) ;;
        -*=*/*)
            v=${w#*=}
            [ -e "$v" ] && w=${w%%=*}=$(cd "$(dirname "$v")" && pwd)/$(basename "$v")
            ;;
        -*) ;;
        */*) [ -e "$w" ] && w=$(cd "$(dirname "$w")" && pwd)/$(basename "$w") ;;
        esac
        out="${out:+$out }$w"
    done
    printf '%s\n' "$out"
}

if [ -n "${CHAFF:-}" ]; then
    CHAFF=$(resolve_cmd "$CHAFF")
else
    CHAFF=$top/build/chaff
fi
export CHAFF

# Replace every @DIR@ in $1 by $2 (no sed: the path may hold any byte).
subst_dir() {
    rest=$1 acc=""
    while :; do
        case $rest in
        *@DIR@*)
            acc="$acc${rest%%@DIR@*}$2"
            rest=${rest#*@DIR@}
            ;;
        *) break ;;
        esac
    done
    printf '%s' "$acc$rest"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chaff-fixtures.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# GNU and BusyBox diff take -a, so NUL-framed output still shows as text.
if diff -a -u /dev/null /dev/null >/dev/null 2>&1; then
    DIFF="diff -a -u"
else
    DIFF="diff -u"
fi
TIMEOUT=""
if command -v timeout >/dev/null 2>&1; then
    TIMEOUT="timeout ${FIXTURE_TIMEOUT:-300}"
fi

# Run one case; its stdout, stderr and status land in $tmp/out, err, rc.
run_case() {
    dir=$1
    stdin_file=$dir/input
    [ -f "$stdin_file" ] || stdin_file=/dev/null
    (
        cd "$dir" || exit 125
        if [ -f cmd ]; then
            $TIMEOUT sh ./cmd
        else
            line=""
            if [ -f args ]; then
                IFS= read -r line <args || [ -n "$line" ] || line=""
            fi
            line=$(subst_dir "$line" "$dir")
            eval "set -- $line" || exit 125
            set -f
            # shellcheck disable=SC2086 # CHAFF is a command line, not a word
            $TIMEOUT $CHAFF "$@"
        fi
    ) <"$stdin_file" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/rc"
}

bless_case() {
    dir=$1 rc=$2
    cp "$tmp/out" "$dir/expected"
    if [ -s "$tmp/err" ] || [ -f "$dir/stderr" ]; then
        cp "$tmp/err" "$dir/stderr"
    fi
    if [ "$rc" -ne 0 ] || [ -f "$dir/exit" ]; then
        echo "$rc" >"$dir/exit"
    fi
}

# Compare one finished run; prints the reasons and diffs of a failure.
check_case() {
    name=$1 dir=$2 rc=$3 ok=0
    want_rc=0
    if [ -f "$dir/exit" ]; then
        read -r want_rc <"$dir/exit" || true
    fi
    if [ ! -f "$dir/expected" ]; then
        echo "FAIL $name: no expected file (BLESS=1 writes one)"
        ok=1
    elif ! cmp -s "$dir/expected" "$tmp/out"; then
        echo "FAIL $name: stdout differs"
        $DIFF -L "$name/expected" -L "$name/actual" "$dir/expected" "$tmp/out"
        ok=1
    fi
    if [ -f "$dir/stderr" ] && ! cmp -s "$dir/stderr" "$tmp/err"; then
        echo "FAIL $name: stderr differs"
        $DIFF -L "$name/stderr" -L "$name/actual-stderr" "$dir/stderr" "$tmp/err"
        ok=1
    fi
    if [ "$rc" != "$want_rc" ]; then
        echo "FAIL $name: exit status $rc, expected $want_rc"
        if [ ! -f "$dir/stderr" ] && [ -s "$tmp/err" ]; then
            echo "--- stderr:"
            head -n 40 "$tmp/err"
        fi
        ok=1
    fi
    return $ok
}

if [ $# -eq 0 ]; then
    for d in "$fixtures"/*/; do
        [ -d "$d" ] && set -- "$@" "$(basename "$d")"
    done
fi

passed=0 failed=0
for name in "$@"; do
    name=${name%/}
    name=${name##*/}
    dir=$fixtures/$name
    if [ ! -d "$dir" ]; then
        echo "FAIL $name: no such case in $fixtures"
        failed=$((failed + 1))
        continue
    fi
    run_case "$dir"
    read -r rc <"$tmp/rc"
    if [ -n "${BLESS:-}" ] && [ "$BLESS" != 0 ]; then
        # Rewriting unchanged files is harmless; only changes are named.
        check_case "$name" "$dir" "$rc" >/dev/null || echo "blessed $name"
        bless_case "$dir" "$rc"
        passed=$((passed + 1))
    elif check_case "$name" "$dir" "$rc"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done

if [ $((passed + failed)) -eq 0 ]; then
    echo "no fixtures found in $fixtures"
    echo "0 passed, 0 failed"
    exit 1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

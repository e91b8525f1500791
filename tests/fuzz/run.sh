#!/bin/sh
# run.sh — build every libFuzzer target and fuzz each for a while.
#
# Usage: sh tests/fuzz/run.sh CC BUILDDIR [NAME]...
#   CC        a compiler with libFuzzer (clang)
#   BUILDDIR  a build whose obj/ holds the library objects compiled with
#             -fsanitize=fuzzer-no-link,address,undefined (`make fuzz` makes
#             build/fuzz); every obj/*.o except cli.o is linked in
#   NAME      targets to run (fuzz_NAME.c); default all tests/fuzz/fuzz_*.c
# FUZZ_SECONDS (default 60) is the time per target.
#
# Each target fuzz_X starts from the committed corpus tests/fuzz/corpus/X but
# writes new inputs to BUILDDIR/fuzz-corpus/X, so the committed corpus only
# grows by hand (libFuzzer -merge=1 into it, after review).  Crashes land in
# BUILDDIR/fuzz-artifacts/; add the reproducer to the corpus once fixed so
# `make check` replays it forever.  Exits 1 when any target failed.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: sh tests/fuzz/run.sh CC BUILDDIR [NAME]..." >&2
    exit 2
fi
cc=$1
build=$2
shift 2
seconds=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$(dirname "$here")")

objs=""
for o in "$build"/obj/*.o; do
    [ -f "$o" ] || continue
    case ${o##*/} in
    cli.o) ;;
    *) objs="$objs $o" ;;
    esac
done
if [ -z "$objs" ]; then
    echo "fuzz: no library objects in $build/obj (run make fuzz)" >&2
    exit 2
fi

if [ $# -eq 0 ]; then
    for src in "$here"/fuzz_*.c; do
        [ -f "$src" ] || continue
        n=${src##*/fuzz_}
        set -- "$@" "${n%.c}"
    done
fi
if [ $# -eq 0 ]; then
    echo "fuzz: no targets in $here" >&2
    exit 2
fi

pkgs="icu-uc icu-i18n libhs zlib"
# shellcheck disable=SC2086 # the package list is meant to split
pkg_cflags=$(pkg-config --cflags $pkgs)
# shellcheck disable=SC2086
pkg_libs=$(pkg-config --libs $pkgs)
san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

mkdir -p "$build/fuzz-bin" "$build/fuzz-artifacts"
failed=""
for name in "$@"; do
    src=$here/fuzz_$name.c
    bin=$build/fuzz-bin/fuzz_$name
    corpus=$here/corpus/$name
    scratch=$build/fuzz-corpus/$name
    if [ ! -f "$src" ]; then
        echo "fuzz: no target $src" >&2
        failed="$failed $name"
        continue
    fi
    echo "fuzz: build $bin"
    # shellcheck disable=SC2086 # flag lists are meant to split
    # UNIT_TESTING as for the library objects (make fuzz): the targets use
    # its switches, such as dec_tables_on
    $cc -std=c11 -O1 -g $san -DUNIT_TESTING -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
        -I"$top/src" $pkg_cflags -o "$bin" "$src" $objs $pkg_libs -lpthread -lm
    mkdir -p "$scratch"
    seeds=""
    [ -d "$corpus" ] && seeds=$corpus
    dict=""
    [ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
    echo "fuzz: run fuzz_$name for ${seconds}s (new inputs in $scratch)"
    # The first corpus directory receives new inputs: the scratch one.
    # shellcheck disable=SC2086
    if "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz-artifacts/${name}-" $dict "$scratch" $seeds; then
        echo "fuzz: fuzz_$name ok"
    else
        echo "fuzz: fuzz_$name FAILED (artifacts in $build/fuzz-artifacts)"
        failed="$failed $name"
    fi
done

if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed"
    exit 1
fi
echo "fuzz: all targets ran clean"

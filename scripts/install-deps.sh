#!/bin/sh
# install-deps.sh — install the Debian packages chaff needs to build, test,
# benchmark and evaluate.
#
# The check comes first: when every package is already installed (asked of
# dpkg-query, which works offline) apt is not touched at all, so CI on a
# provisioned machine spends no time and needs no network here.  Otherwise
# apt-get update runs once, then one non-interactive install of the missing
# packages.  Runs as root, or through sudo when it is available.
#
#   build     gcc make (build-essential) pkg-config libicu-dev
#             libvectorscan-dev libcmocka-dev zlib1g-dev libzstd-dev (.zst
#             input), zstd (the tests make .zst files)
#   test      valgrind clang (libFuzzer, -fsanitize=fuzzer) clang-format
#             clang-tidy (make lint), zsh (zsh -n on completions/_chaff),
#             libxml2-utils (xmllint on chaff report's page), parallel
#             (GNU parallel: tests/scale-out/run.sh)
#   bench     time (/usr/bin/time -f %M for peak RSS), libc-bin (iconv)
#   eval      python3 (the scorer, eval/c4.py)
#   man page  groff-base man-db (man -l chaff.1)
#   --train   python3-sklearn python3-numpy (make train, make loso) and
#             liblingua-stopwords-perl (scripts/make-stopwords.sh); not
#             needed to build, test or run chaff
set -eu

PACKAGES="build-essential pkg-config libicu-dev libvectorscan-dev libcmocka-dev
zlib1g-dev libzstd-dev zstd valgrind clang clang-format clang-tidy zsh libxml2-utils
parallel python3 time libc-bin groff-base man-db"
if [ "${1:-}" = "--train" ]; then
    PACKAGES="$PACKAGES python3-sklearn python3-numpy liblingua-stopwords-perl"
elif [ -n "${1:-}" ]; then
    echo "usage: sh scripts/install-deps.sh [--train]" >&2
    exit 2
fi

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case $status in
    *" ok installed") ;;
    *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present:" $PACKAGES # one line
    exit 0
fi

echo "install-deps: missing:$missing"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: not root and no sudo; install these by hand:$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: ${SUDO:+$SUDO }apt-get update"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
echo "install-deps: ${SUDO:+$SUDO }apt-get install -y --no-install-recommends$missing"
# shellcheck disable=SC2086 # the list is meant to split into words
$SUDO env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends $missing
echo "install-deps: done"

#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/bench/run.sh: runs each benchmark given (bench_* binaries built by `make bench`, or
# *.sh / *.py scripts) with the environment make passes (GPUP_SIM, GPUP_BIN, GPUP_SRCDIR,
# PYTHON), and prints their numbers ("name value" lines) as they come.
# The bench_*.sh scripts of tests/bench are run too.
# Exit status: 0 when every benchmark ran to the end, 1 otherwise.
status=0
# The shell benchmarks (tests/bench/bench_*.sh) run after the binaries make passes.
srcdir=${GPUP_SRCDIR:-.}
for s in "$srcdir"/tests/bench/bench_*.sh; do
    [ -f "$s" ] && set -- "$@" "$s"
done
for b in "$@"; do
    echo "=== $b"
    case "$b" in
    *.sh) sh "$b" ;;
    *.py) "${PYTHON:-python3}" "$b" ;;
    *) "$b" ;;
    esac
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "bench: $b failed (exit $rc)"
        status=1
    fi
done
exit $status

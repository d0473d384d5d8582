#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/run.sh: runs each test program given (cmocka binaries, or tests/e2e/*.sh scripts that
# print "N passed, N failed"), shows their output, and closes with one summary line for all.
# Exit status: 0 when every program passed, 1 otherwise. With GPUP_NO_SKIP=1 (CI), a program that
# skipped tests for want of a tool or package counts as failing: CI must run everything.
passed=0 failed=0 broken=""
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
for t in "$@"; do
    echo "=== $t"
    case "$t" in
    *.sh) sh "$t" >"$out" 2>&1 ;;
    *) "$t" >"$out" 2>&1 ;;
    esac
    rc=$?
    cat "$out"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\./\1/p' "$out" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s), listed below:/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
    case "$t" in
    *.sh)
        p=$(sed -n 's/^\([0-9][0-9]*\) passed, [0-9][0-9]* failed.*/\1/p' "$out" | tail -n 1)
        f=$(sed -n 's/^[0-9][0-9]* passed, \([0-9][0-9]*\) failed.*/\1/p' "$out" | tail -n 1)
        p=${p:-0} f=${f:-0} ;;
    esac
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "${GPUP_NO_SKIP:-0}" = 1 ] && grep -qiE '^\[  SKIPPED \]|^# skipped:' "$out"; then
        echo "$t: skipped tests, and GPUP_NO_SKIP=1 wants every test run"
        [ "$rc" -eq 0 ] && rc=1
    fi
    if [ "$rc" -ne 0 ]; then
        broken="$broken $t"
        [ "$f" -eq 0 ] && failed=$((failed + 1))  # crashed or exited early: count it
    fi
done
echo
[ -n "$broken" ] && echo "failing programs:$broken"
echo "$passed passed, $failed failed"
[ -z "$broken" ]

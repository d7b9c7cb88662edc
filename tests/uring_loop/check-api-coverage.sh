#!/bin/sh
# SPDX-License-Identifier: MIT
# Every function declared in loop.h has its bad-argument test in
# test-loop-args.c (kronosnet's api-test-coverage): fails naming the ones
# that do not.
set -eu

header=$1
tests=$2

# Declarations: "type name(" at the start of a line, static inline helpers
# (the cleanup functions) left out.
functions=$(grep -E '^[a-z].*[ *](loop_[a-z_]+)\(' "$header" |
        grep -v '^static' |
        sed -E 's/^.*[ *](loop_[a-z_]+)\(.*$/\1/' | sort -u)

[ -n "$functions" ] || { echo "no functions found in $header" >&2; exit 1; }

missing=0
for f in $functions; do
        if ! grep -q "^static void test_$f(void \*\*state)" "$tests"; then
                echo "no test_$f in $tests" >&2
                missing=1
        fi
done
[ "$missing" -eq 0 ] && echo "all $(echo "$functions" | wc -l) functions of $(basename "$header") have a test"
exit "$missing"

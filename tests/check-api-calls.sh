#!/bin/sh
# SPDX-License-Identifier: MIT
# Every function a module header declares is called by at least one of its
# tests (kronosnet's api-test-coverage, in its simplest form): fails naming
# the functions no test calls.
#
#   check-api-calls.sh HEADER TEST-FILE...
set -eu

header=$1
shift

# Declarations: "type name(" at the start of a line (continuation lines
# and static inline cleanup helpers left out).
functions=$(grep -E '^[a-z_][a-z_0-9 ]*[ *]+[a-z_][a-z_0-9]*\(' "$header" |
        grep -Ev '^(static|typedef|return)' |
        sed -E 's/^[^(]*[ *]([a-z_][a-z_0-9]*)\(.*$/\1/' | sort -u)

[ -n "$functions" ] || { echo "no functions found in $header" >&2; exit 1; }

missing=0
for f in $functions; do
        if ! grep -q -E "(^|[^a-z_0-9])$f\(" "$@"; then
                echo "no test calls $f() (declared in $(basename "$header"))" >&2
                missing=1
        fi
done
[ "$missing" -eq 0 ] && echo "all $(echo "$functions" | wc -l) functions of $(basename "$header") are called by a test"
exit "$missing"

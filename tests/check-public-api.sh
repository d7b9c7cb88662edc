#!/bin/sh
# SPDX-License-Identifier: MIT
# The public API in four places must name the same functions
# (kronosnet's api-test-coverage): the header include/processhub.h, the
# version script include/libprocesshub.sym, the symbols libprocesshub.so
# really exports, and the tests (each function called by one of them).
#
#   check-public-api.sh HEADER SYMFILE LIBRARY TEST-FILE...
set -eu

header=$1 symfile=$2 library=$3
shift 3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -E '^[a-z_][a-z_0-9 ]*[ *]+ph_[a-z_0-9]*\(' "$header" |
        sed -E 's/^[^(]*[ *](ph_[a-z_0-9]*)\(.*$/\1/' | sort -u >"$tmp/header"
sed -n 's/^[[:space:]]*\(ph_[a-z_0-9]*\);.*$/\1/p' "$symfile" | sort -u >"$tmp/sym"
nm -D --defined-only "$library" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | grep '^ph_' | sort -u >"$tmp/exported"

status=0
compare() { # a-file a-name b-file b-name
        if ! diff -q "$1" "$3" >/dev/null; then
                echo "$2 and $4 differ:" >&2
                diff "$1" "$3" | sed -n 's/^< /  only in '"$2"': /p; s/^> /  only in '"$4"': /p' >&2
                status=1
        fi
}
compare "$tmp/header" header "$tmp/sym" "version script"
compare "$tmp/header" header "$tmp/exported" "library exports"

while read -r f; do
        if ! grep -q -E "(^|[^a-z_0-9])$f\(" "$@"; then
                echo "no test calls $f()" >&2
                status=1
        fi
done <"$tmp/header"

[ $status -eq 0 ] && echo "$(wc -l <"$tmp/header") public functions: header, version script, exports and tests agree"
exit $status

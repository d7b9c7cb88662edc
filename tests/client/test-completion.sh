#!/usr/bin/env bash
# phubctl's bash completion (tools/phubctl/phubctl.bash-completion) under
# the bash-completion framework: commands, options, option values and hook
# keys complete; no daemon is needed (child ids are simply not offered).
#   test-completion.sh COMPLETION_FILE
set -u
framework=/usr/share/bash-completion/bash_completion
if [ ! -r "$framework" ]; then
        echo "SKIP: needs the bash-completion package ($framework)" >&2
        exit 77
fi
# shellcheck disable=SC1090
source "$framework"
# shellcheck disable=SC1090
source "$1"

fails=0
complete_line() { # words... -> the candidates, one line
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="${COMP_WORDS[*]}"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _phubctl
        printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
expect() { # expected, words...
        local want=$1; shift
        local got
        got=$(complete_line "$@")
        if [ "$got" != "$want" ]; then
                echo "FAIL: '$*' completes to '$got', expected '$want'"
                fails=$((fails + 1))
        else
                echo "ok: '$*' -> $got"
        fi
}

export PATH="/nonexistent:$PATH" # no phubctl to ask: ids are not offered
expect "start start-many status stop " phubctl st
expect "--help --hub " phubctl --h
expect "permanent temporary transient " phubctl start web --restart ""
expect "exec notify " phubctl start web --ready ""
expect "continue rollback " phubctl start web --on-failure ""
expect "registry_pid_insert registry_pid_remove " phubctl watch registry_pid_
expect "descendant_exit " phubctl watch desc
exit $((fails > 0))

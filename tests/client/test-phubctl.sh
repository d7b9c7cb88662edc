#!/bin/bash
# SPDX-License-Identifier: MIT
# phubctl end to end against a real processhubd: start/await/ls/stop in
# both output modes (the JSON parses and has exactly the documented keys),
# usage errors exit 2, an unreachable daemon exits 3 with a helpful
# message, a failed operation exits 1, and watch in a second process sees
# the events. The daemon is stopped by its pid and the directory removed on
# any exit; every wait is bounded.
#
#   test-phubctl.sh PHUBCTL PROCESSHUBD
set -u

phubctl=$1 processhubd=$2

skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (the daemon's hub creates cgroups)"
command -v jq >/dev/null || skip "needs jq to check the JSON output"

dir=$(mktemp -d /tmp/ph-phubctl-test-XXXXXX)
daemon_pid= watch_pid=
cleanup() {
        [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
        if [ -n "$daemon_pid" ]; then
                kill -TERM "$daemon_pid" 2>/dev/null
                for _ in $(seq 200); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$daemon_pid" 2>/dev/null
                wait "$daemon_pid" 2>/dev/null
        fi
        rm -rf -- "$dir"
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

hub=phubctl-$$
sock=$dir/processhubd.sock
"$processhubd" --no-config --socket "$sock" --state-dir "$dir/state" --hub "$hub" >"$dir/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$dir/daemon.log" >&2; echo "processhubd did not come up" >&2; exit 1; }

ctl() { "$phubctl" --socket "$sock" "$@"; }

# Exactly these keys, sorted, or fail.
keys_are() { # json-file jq-path expected-keys...
        local file=$1 path=$2
        shift 2
        local got want
        got=$(jq -c "$path | keys" "$file" 2>/dev/null)
        want=$(printf '%s\n' "$@" | sort | jq -R . | jq -cs .)
        [ "$got" = "$want" ] || { fail "$file $path keys: got $got, want $want"; return 1; }
}

# ---- start --await, both modes ----
if ctl --json start p-one --tag tagged --meta owner=ci --await -- /bin/sleep 1000 >"$dir/start.json"; then
        keys_are "$dir/start.json" . errors rollback started status &&
        keys_are "$dir/start.json" '.started[0]' id instances &&
        keys_are "$dir/start.json" '.started[0].instances[0]' node pid &&
        [ "$(jq -r .status "$dir/start.json")" = ok ] && ok "start --await --json"
else
        fail "start --await --json exited $?"
fi
pid=$(jq -r '.started[0].instances[0].pid' "$dir/start.json")
kill -0 "$pid" 2>/dev/null && grep -q "/$hub.hub/" "/proc/$pid/cgroup" && ok "started pid $pid runs in the hub's cgroup" ||
        fail "pid $pid not running in $hub.hub"

out=$(ctl start p-two --await -- /bin/sleep 1000) && grep -q "start: ok, 1 started" <<<"$out" && ok "start --await (table)" ||
        fail "start --await table: $out"

# ---- ls, tag, lookup, pid, which, status ----
ctl --json ls >"$dir/ls.json" || fail "ls --json exited $?"
[ "$(jq 'length' "$dir/ls.json")" = 2 ] || fail "ls: not 2 children: $(cat "$dir/ls.json")"
keys_are "$dir/ls.json" '.[0]' id instances tag && keys_are "$dir/ls.json" '.[0].instances[0]' node pid && ok "ls --json"
[ "$(jq -r '.[] | select(.id == "p-one") | .tag' "$dir/ls.json")" = tagged ] || fail "ls: p-one's tag"
ctl ls | grep -q "^p-one .*tagged .*:$pid" && ok "ls (table)" || fail "ls table: $(ctl ls)"
ctl --json tag tagged >"$dir/tag.json" && [ "$(jq -r '.[0].id' "$dir/tag.json")" = p-one ] &&
        keys_are "$dir/tag.json" '.[0]' id instances tag && ok "tag --json" || fail "tag: $(cat "$dir/tag.json")"
[ "$(ctl pid p-one)" = "$pid" ] && ok "pid" || fail "pid: $(ctl pid p-one)"
ctl --json lookup p-one --with-metadata >"$dir/lookup.json" &&
        [ "$(jq -r .metadata.owner "$dir/lookup.json")" = ci ] && [ "$(jq -r '.spec.argv[0]' "$dir/lookup.json")" = /bin/sleep ] &&
        ok "lookup --with-metadata --json" || fail "lookup: $(cat "$dir/lookup.json")"
ctl --json status >"$dir/status.json" || fail "status exited $?"
jq -e 'has("hub") and has("node") and has("alive") and has("locked") and has("partitioned") and has("nodes") and has("children")' \
        "$dir/status.json" >/dev/null && [ "$(jq -r .hub "$dir/status.json")" = "$hub" ] && [ "$(jq -r .children "$dir/status.json")" = 2 ] &&
        ok "status --json" || fail "status: $(cat "$dir/status.json")"
ctl status | grep -q "^hub: *$hub" && ok "status (table)" || fail "status table"
ctl --json which | jq -e 'map(select(.id == "p-one" and .state == "running")) | length == 1' >/dev/null && ok "which --json" ||
        fail "which: $(ctl --json which)"
ctl --json nodes --include-local | jq -e 'length == 1' >/dev/null && ok "nodes" || fail "nodes"

# ---- watch in a second process ----
# Not through ctl(): $! must be phubctl's own pid, not a subshell's.
"$phubctl" --socket "$sock" --json watch registry_pid_insert registry_pid_remove >"$dir/watch.out" 2>"$dir/watch.err" &
watch_pid=$!
sleep 0.5 # its subscription is in place once it registered; give it the time
ctl start p-watched --await -- /bin/sleep 1000 >/dev/null || fail "start p-watched"
ctl stop p-watched --await >/dev/null || fail "stop p-watched"
for _ in $(seq 50); do grep -q '"registry_pid_remove".*p-watched' "$dir/watch.out" 2>/dev/null && break; sleep 0.1; done
kill "$watch_pid" 2>/dev/null
wait "$watch_pid"
rc=$?
watch_pid=
grep -q '"key":"registry_pid_insert".*"child_id":"p-watched"' "$dir/watch.out" &&
        grep -q '"key":"registry_pid_remove".*"child_id":"p-watched"' "$dir/watch.out" &&
        jq -e . "$dir/watch.out" >/dev/null && [ $rc -eq 0 ] && ok "watch --json saw insert and remove, SIGTERM ends it with 0" ||
        fail "watch: $(cat "$dir/watch.out" "$dir/watch.err")"

# ---- hook commands ----
ctl --json hook add registry_pid_insert ci-hook -- /bin/true >"$dir/hook.json" && keys_are "$dir/hook.json" . id key &&
        ctl --json hook rm registry_pid_insert ci-hook >"$dir/hookrm.json" && [ "$(jq .removed "$dir/hookrm.json")" = 1 ] &&
        ok "hook add, hook rm" || fail "hook: $(cat "$dir/hook.json" "$dir/hookrm.json")"

# ---- start-many from stdin ----
printf '%s\n' '{"id":"m-1","argv":["/bin/sleep","1000"]}' '{"id":"m-2","argv":["/bin/sleep","1000"],"limits":{"pids_max":16}}' |
        ctl --json start-many - --await >"$dir/many.json" && [ "$(jq '.started | length' "$dir/many.json")" = 2 ] &&
        ok "start-many" || fail "start-many: $(cat "$dir/many.json")"

# ---- operation failures exit 1 ----
ctl start p-one -- /bin/sleep 1 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] && grep -q "already started: p-one" "$dir/err" && ok "duplicate start exits 1" || fail "duplicate: rc $rc $(cat "$dir/err")"
ctl --json start p-missing --await -- /nonexistent/program >"$dir/missing.json" 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] && [ "$(jq -r .status "$dir/missing.json")" = error ] && keys_are "$dir/missing.json" '.errors[0]' id node reason &&
        ok "failed start exits 1 with the result" || fail "missing program: rc $rc"
ctl lookup p-none 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] && grep -q "no child p-none" "$dir/err" && ok "unknown child exits 1" || fail "unknown child: rc $rc"

# ---- stop --await, both modes ----
ctl --json stop p-one m-1 m-2 --await >"$dir/stop.json"
rc=$?
[ $rc -eq 0 ] && keys_are "$dir/stop.json" . errors status stopped && keys_are "$dir/stop.json" '.stopped[0]' id nodes &&
        [ "$(jq '.stopped | length' "$dir/stop.json")" = 3 ] && ok "stop --await --json" || fail "stop: rc $rc $(cat "$dir/stop.json")"
out=$(ctl stop p-two --await) && grep -q "stop: ok, 1 stopped" <<<"$out" && ok "stop --await (table)" || fail "stop table: $out"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs after stop" || ok "stopped process is gone"
[ "$(ctl --json ls)" = "[]" ] && ok "ls empty after stop" || fail "ls after stop: $(ctl --json ls)"

# ---- usage errors exit 2 ----
for args in "" "frobnicate" "start" "start x" "start x --restart never -- true" "stop" "lookup" "pid a b" \
            "start x --memory-max lots -- true" "watch no_such_hook" "hook add k" "--bogus ls"; do
        # shellcheck disable=SC2086
        ctl $args >/dev/null 2>"$dir/err"
        rc=$?
        [ $rc -eq 2 ] && grep -q "phubctl --help" "$dir/err" || fail "usage \"$args\": rc $rc $(cat "$dir/err")"
done
ok "usage errors exit 2"

# ---- an unreachable daemon exits 3 ----
"$phubctl" --socket "$dir/nothing.sock" ls 2>"$dir/err"
rc=$?
[ $rc -eq 3 ] && grep -q "cannot reach processhubd at $dir/nothing.sock" "$dir/err" && grep -q "is it running" "$dir/err" &&
        ok "unreachable daemon exits 3" || fail "unreachable: rc $rc $(cat "$dir/err")"
PROCESSHUB_SOCKET=$sock "$phubctl" --json status >/dev/null && ok "\$PROCESSHUB_SOCKET" || fail "PROCESSHUB_SOCKET"
ctl --hub no-such-hub ls 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] && grep -q "no hub named no-such-hub" "$dir/err" && ok "unknown hub exits 1" || fail "unknown hub: rc $rc"

# ---- not awaited: "initiated", in both modes ----
out=$(ctl start p-async -- /bin/sleep 1000) && [ "$out" = "start: initiated (1 child)" ] && ok "start (not awaited)" ||
        fail "start not awaited: $out"
for _ in $(seq 100); do ctl pid p-async >/dev/null 2>&1 && break; sleep 0.05; done
[ "$(ctl --json stop p-async | jq -r .status)" = initiated ] && ok "stop --json (not awaited)" || fail "stop not awaited"
for _ in $(seq 100); do ctl pid p-async >/dev/null 2>&1 || break; sleep 0.05; done
ctl pid p-async >/dev/null 2>&1 && fail "p-async still registered after its stop" || ok "p-async stopped"

# ---- lookup says how the last process ended ----
if ctl --json start p-crash --await -- /bin/sleep 1000 >"$dir/crash.json"; then
        cpid=$(jq -r '.started[0].instances[0].pid' "$dir/crash.json")
        kill -SEGV "$cpid"
        npid=$cpid
        for _ in $(seq 100); do
                npid=$(ctl pid p-crash 2>/dev/null) && [ "$npid" != "$cpid" ] && break
                sleep 0.05
        done
        [ "$npid" != "$cpid" ] && ok "p-crash restarted (pid $cpid -> $npid)" || fail "p-crash not restarted"
        ctl --json lookup p-crash >"$dir/crash-lookup.json"
        [ "$(jq -r .last_exit "$dir/crash-lookup.json")" = "killed by signal SIGSEGV" ] &&
                ctl lookup p-crash | grep -q "^last exit: killed by signal SIGSEGV" && ok "lookup shows the last exit" ||
                fail "lookup last_exit: $(cat "$dir/crash-lookup.json")"
        ctl stop p-crash --await >/dev/null || fail "stop p-crash"
else
        fail "start p-crash"
fi

[ $failures -eq 0 ] || { echo "$failures failures; daemon log:" >&2; cat "$dir/daemon.log" >&2; exit 1; }
echo "all phubctl checks passed"

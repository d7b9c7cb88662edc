/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "child-exit.h"
#include "string-table.h"

static const char *const child_exit_kind_table[_CHILD_EXIT_KIND_MAX] = {
        [CHILD_EXIT_NONE] = "none",
        [CHILD_EXIT_CODE] = "exited",
        [CHILD_EXIT_SIGNAL] = "killed",
        [CHILD_EXIT_CORE_DUMP] = "dumped",
        [CHILD_EXIT_OOM_KILL] = "oom-killed",
        [CHILD_EXIT_EXEC_FAILED] = "exec-failed",
        [CHILD_EXIT_READY_TIMEOUT] = "ready-timeout",
        [CHILD_EXIT_UNKNOWN] = "unknown",
};

const char *child_exit_kind_to_string(child_exit_kind k) {
        if (k < 0 || k >= _CHILD_EXIT_KIND_MAX)
                return NULL;
        return child_exit_kind_table[k];
}

child_exit child_exit_from_siginfo(const siginfo_t *si) {
        assert(si);

        if (si->si_pid == 0)
                return (child_exit) { .kind = CHILD_EXIT_UNKNOWN };

        switch (si->si_code) {
        case CLD_EXITED:
                return (child_exit) { .kind = CHILD_EXIT_CODE, .status = si->si_status };
        case CLD_KILLED:
                return (child_exit) { .kind = CHILD_EXIT_SIGNAL, .status = si->si_status };
        case CLD_DUMPED:
                return (child_exit) { .kind = CHILD_EXIT_CORE_DUMP, .status = si->si_status };
        default:
                return (child_exit) { .kind = CHILD_EXIT_UNKNOWN };
        }
}

bool child_exit_is_clean(const child_exit *e) {
        assert(e);

        if (e->kind == CHILD_EXIT_CODE)
                return e->status == 0;
        if (e->kind == CHILD_EXIT_SIGNAL)
                return e->status == SIGHUP || e->status == SIGINT || e->status == SIGTERM ||
                       e->status == SIGPIPE;
        return false;
}

const char *child_exit_describe(const child_exit *e, char *buf, size_t size) {
        const char *sig;

        assert(e);
        assert(buf);

        sig = (e->kind == CHILD_EXIT_SIGNAL || e->kind == CHILD_EXIT_CORE_DUMP ||
               e->kind == CHILD_EXIT_OOM_KILL) ? sigabbrev_np(e->status) : NULL;

        switch (e->kind) {
        case CHILD_EXIT_NONE:
                snprintf(buf, size, "running");
                break;
        case CHILD_EXIT_CODE:
                snprintf(buf, size, "exited with code %d", e->status);
                break;
        case CHILD_EXIT_SIGNAL:
                snprintf(buf, size, "killed by signal SIG%s", sig ? sig : "?");
                break;
        case CHILD_EXIT_CORE_DUMP:
                snprintf(buf, size, "killed by signal SIG%s (core dumped)", sig ? sig : "?");
                break;
        case CHILD_EXIT_OOM_KILL:
                snprintf(buf, size, "killed by the OOM killer (memory limit)");
                break;
        case CHILD_EXIT_EXEC_FAILED:
                snprintf(buf, size, "could not be executed: %s", strerrorname_np(e->status) ?: "?");
                break;
        case CHILD_EXIT_READY_TIMEOUT:
                snprintf(buf, size, "sent no READY=1 in time");
                break;
        default:
                snprintf(buf, size, "exited (status unknown: adopted process)");
                break;
        }
        return buf;
}

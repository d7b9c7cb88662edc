/* SPDX-License-Identifier: MIT */

/* The kernel's hints for one hub: the process-exit tracer of kernel_bpf/,
 * filtered to the hub's cgroup subtree. The pidfd stays the authority on a
 * child's own exit; the tracer adds what a pidfd cannot give:
 * - the exit status of a main process that is not ours to reap (adopted
 *   after a restart of the hosting process: waitid() has nothing for it),
 *   through the supervisor's exit resolver;
 * - the deaths of the other processes of a child's tree (workers,
 *   grandchildren), as descendant_exit hooks.
 * Where BPF cannot run, the hub runs on pidfds alone and says why in
 * ph_hub_get_status() (kernel_bpf: "inactive: <why>"). */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub-internal.h"
#include "log.h"
#include "macros.h"
#include "proc-exit-monitor.h"

/* Main-process exits kept for the resolver: it asks right after the pidfd
 * woke, so the last few suffice. */
#define HUB_KERNEL_RECENT 64

typedef struct recent_exit {
        pid_t pid;
        child_exit exit;
} recent_exit;

struct hub_kernel {
        ph_hub *hub;
        proc_exit_monitor *monitor;
        char *bpf_state; /* "active" or "inactive: <why>" */
        recent_exit recent[HUB_KERNEL_RECENT];
        unsigned next_recent;
};

static child_exit exit_of_event(const proc_exit_event *e) {
        if (e->oom_killed)
                return (child_exit) { .kind = CHILD_EXIT_OOM_KILL, .status = (int) e->signal };
        if (e->signal != 0)
                return (child_exit) { .kind = e->core_dumped ? CHILD_EXIT_CORE_DUMP : CHILD_EXIT_SIGNAL,
                                      .status = (int) e->signal };
        return (child_exit) { .kind = CHILD_EXIT_CODE, .status = e->exit_code };
}

static void hub_kernel_descendant_exit(hub_kernel *k, supervisor_child *c, const proc_exit_event *e) {
        ph_hub *hub = k->hub;
        char why[CHILD_EXIT_DESCRIBE_MAX], comm[PROC_EXIT_COMM_LEN + 1], reason[CHILD_EXIT_DESCRIBE_MAX + 64];
        child_exit x = exit_of_event(e);
        _cleanup_free_ char *node = NULL;

        if (!hook_table_has_handlers(hub->hooks, PH_HOOK_DESCENDANT_EXIT))
                return;
        node = hub_node_dup(hub);
        if (!node)
                return;
        memcpy(comm, e->comm, PROC_EXIT_COMM_LEN);
        comm[PROC_EXIT_COMM_LEN] = '\0';
        child_exit_describe(&x, why, sizeof(why));
        (void) snprintf(reason, sizeof(reason), "%s (pid %u): %s", comm, e->pid, why);
        hub_hook(hub, &(ph_hook_event) {
                .key = PH_HOOK_DESCENDANT_EXIT,
                .hub_id = hub->hub_id,
                .node = node,
                .child_id = supervisor_child_id(c),
                .instances = &(ph_instance) { .node = node, .pid = (pid_t) e->pid },
                .n_instances = 1,
                .reason = reason,
        });
}

static void hub_kernel_on_exit(const proc_exit_event *e, void *userdata) {
        hub_kernel *k = userdata;
        supervisor_child *c = supervisor_find_child_by_cgroup_id(k->hub->supervisor, e->cgroup_id);

        if (!c)
                return; /* the hub group itself, or a leaf on its way out */
        if (supervisor_child_is_main_pid(c, (pid_t) e->pid)) {
                k->recent[k->next_recent++ % HUB_KERNEL_RECENT] = (recent_exit) {
                        .pid = (pid_t) e->pid,
                        .exit = exit_of_event(e),
                };
                return;
        }
        hub_kernel_descendant_exit(k, c, e);
}

/* supervisor_exit_resolver: what the tracer saw of pid's end. */
bool hub_kernel_resolve_exit(supervisor *s, pid_t pid, child_exit *ret, void *userdata) {
        ph_hub *hub = userdata;
        hub_kernel *k = hub->kernel;

        if (!k || !k->monitor)
                return false;
        /* Written before the pidfd woke; maybe not delivered yet. */
        (void) proc_exit_monitor_consume(k->monitor);
        for (unsigned i = 0; i < HUB_KERNEL_RECENT; i++) {
                recent_exit *r = &k->recent[(k->next_recent - 1 - i) % HUB_KERNEL_RECENT];
                if (r->pid == pid) {
                        *ret = r->exit;
                        r->pid = 0;
                        return true;
                }
        }
        return false;
}

int hub_kernel_open(ph_hub *hub) {
        _cleanup_free_ hub_kernel *k = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *reason = NULL;
        int r;

        k = calloc(1, sizeof(*k));
        if (!k)
                return -ENOMEM;
        k->hub = hub;

        if (getenv("PROCESSHUB_NO_BPF")) {
                reason = "disabled by PROCESSHUB_NO_BPF";
                r = -EOPNOTSUPP;
        } else {
                fd = open(supervisor_cgroup_path(hub->supervisor, (char[PATH_MAX]) {}), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0) {
                        reason = "the hub's cgroup2 directory cannot be opened";
                        r = -errno;
                } else
                        r = proc_exit_monitor_new(hub->loop, fd, hub_kernel_on_exit, k, &k->monitor, &reason);
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_debug("hub %s: exit tracer inactive: %s", hub->hub_id, reason ?: strerror(-r));
                if (asprintf(&k->bpf_state, "inactive: %s", reason ?: strerror(-r)) < 0)
                        return -ENOMEM;
        } else if (!(k->bpf_state = strdup("active")))
                return -ENOMEM;

        hub->kernel = TAKE_PTR(k);
        return 0;
}

void hub_kernel_close(ph_hub *hub) {
        hub_kernel *k = hub->kernel;

        if (!k)
                return;
        proc_exit_monitor_free(k->monitor);
        free(k->bpf_state);
        free(k);
        hub->kernel = NULL;
}

const char *hub_kernel_bpf_state(const ph_hub *hub) {
        return hub->kernel ? hub->kernel->bpf_state : "inactive: the hub is not running";
}

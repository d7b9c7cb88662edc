/* SPDX-License-Identifier: MIT */

/* The loader of proc-exit.bpf.c, in libbpf-bootstrap's order: open, set
 * rodata, load, fill the cgroup filter, attach, ring buffer, poll it from
 * the loop; teardown in reverse. */

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "macros.h"
#include "proc-exit-check.h"
#include "proc-exit-monitor.h"
#include "proc-exit.skel.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

_Static_assert(sizeof(struct proc_exit_event) == 56, "proc_exit_event is shared with BPF: fixed layout");

struct proc_exit_monitor {
        loop *loop;
        proc_exit_handler handler;
        void *userdata;

        struct proc_exit_bpf *skel;
        struct ring_buffer *ring;
        loop_source *source;
};

/* libbpf prints its warnings to stderr by default; library code keeps them
 * at debug level. */
static int libbpf_print_debug(enum libbpf_print_level level, const char *fmt, va_list ap) {
        char buf[512];

        if (!log_debug_enabled())
                return 0;
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        log_debug("libbpf: %s", buf);
        return 0;
}

static int on_sample(void *ctx, void *data, size_t size) {
        proc_exit_monitor *m = ctx;

        if (size < sizeof(proc_exit_event))
                return 0;
        m->handler(data, m->userdata);
        return 0;
}

static int on_ring_ready(loop_source *s, int fd, uint32_t revents, void *userdata) {
        proc_exit_monitor *m = userdata;
        int r;

        r = ring_buffer__consume(m->ring);
        if (r < 0)
                return log_debug_errno(r, "proc-exit: consuming the ring buffer: %d", r);
        return 0;
}

int proc_exit_monitor_consume(proc_exit_monitor *m) {
        int r;

        assert_return(m, -EINVAL);
        r = ring_buffer__consume(m->ring);
        if (r < 0)
                return log_debug_errno(r, "proc-exit: consuming the ring buffer: %d", r);
        return r;
}

proc_exit_monitor *proc_exit_monitor_free(proc_exit_monitor *m) {
        if (!m)
                return NULL;
        loop_source_free(m->source);
        ring_buffer__free(m->ring);
        proc_exit_bpf__destroy(m->skel);
        return mfree(m);
}

static int attach(struct bpf_program *prog, struct bpf_link **ret) {
        struct bpf_link *link = bpf_program__attach(prog);

        if (!link)
                return -errno;
        *ret = link;
        return 0;
}

int proc_exit_monitor_new(
                loop *l,
                int hub_cgroup_fd,
                proc_exit_handler handler,
                void *userdata,
                proc_exit_monitor **ret,
                const char **ret_reason) {
        _cleanup_proc_exit_monitor_ proc_exit_monitor *m = NULL;
        const char *reason = NULL;
        __u32 key = 0;
        int r;

        assert_return(l, -EINVAL);
        assert_return(handler, -EINVAL);
        assert_return(ret, -EINVAL);
        r = proc_exit_check_cgroup_fd(hub_cgroup_fd);
        if (r < 0)
                return r;

        if (access(BTF_PATH, R_OK) < 0) {
                reason = "no BTF at " BTF_PATH;
                r = -EOPNOTSUPP;
                goto fail;
        }
        (void) libbpf_set_print(libbpf_print_debug);

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->loop = l;
        m->handler = handler;
        m->userdata = userdata;

        m->skel = proc_exit_bpf__open();
        if (!m->skel) {
                r = -errno;
                if (r == -ENOMEM)
                        return r;
                reason = "open failed: the BPF object did not parse";
                log_debug("proc-exit: open: %d", r);
                r = -EOPNOTSUPP;
                goto fail;
        }
        m->skel->rodata->trace_threads = false;

        r = proc_exit_bpf__load(m->skel);
        if (r < 0) {
                log_debug("proc-exit: load: %d", r);
                reason = r == -EPERM ? "BPF not permitted (needs CAP_BPF/CAP_PERFMON)"
                                     : "load failed: the kernel refused the program";
                r = -EOPNOTSUPP;
                goto fail;
        }

        /* The map takes its own reference on the cgroup. */
        if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.hub_cgroup), &key, &hub_cgroup_fd, BPF_ANY) < 0) {
                log_debug("proc-exit: setting the cgroup filter: %m");
                reason = "load failed: the kernel refused the cgroup filter";
                r = -EOPNOTSUPP;
                goto fail;
        }

        r = attach(m->skel->progs.proc_exit_sched_process_exit, &m->skel->links.proc_exit_sched_process_exit);
        if (r < 0) {
                log_debug("proc-exit: attach sched_process_exit: %d", r);
                reason = r == -EPERM ? "BPF not permitted (needs CAP_BPF/CAP_PERFMON)"
                                     : "attach failed: tp_btf/sched_process_exit";
                r = -EOPNOTSUPP;
                goto fail;
        }
        r = attach(m->skel->progs.proc_exit_mark_victim, &m->skel->links.proc_exit_mark_victim);
        if (r < 0) {
                log_debug("proc-exit: attach mark_victim: %d", r);
                reason = r == -EPERM ? "BPF not permitted (needs CAP_BPF/CAP_PERFMON)"
                                     : "attach failed: tp_btf/mark_victim";
                r = -EOPNOTSUPP;
                goto fail;
        }

        m->ring = ring_buffer__new(bpf_map__fd(m->skel->maps.events), on_sample, m, NULL);
        if (!m->ring)
                return log_debug_errno(-errno, "proc-exit: ring buffer: %m");

        r = loop_add_io(l, &m->source, ring_buffer__epoll_fd(m->ring), POLLIN, on_ring_ready, m);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;

fail:
        if (ret_reason)
                *ret_reason = reason;
        return r;
}

int proc_exit_monitor_dropped(const proc_exit_monitor *m, uint64_t *ret) {
        assert_return(m, -EINVAL);
        assert_return(ret, -EINVAL);
        *ret = __atomic_load_n(&m->skel->bss->dropped, __ATOMIC_RELAXED);
        return 0;
}

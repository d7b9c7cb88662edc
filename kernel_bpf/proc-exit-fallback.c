/* SPDX-License-Identifier: MIT */

/* The process-exit monitor in a build without BPF (no clang, bpftool or
 * libbpf, or -Dbpf=disabled): it checks its arguments like the real one and
 * then declines, so callers take their degraded path. */

#include "macros.h"
#include "proc-exit-check.h"
#include "proc-exit-monitor.h"

int proc_exit_monitor_new(
                loop *l,
                int hub_cgroup_fd,
                proc_exit_handler handler,
                void *userdata,
                proc_exit_monitor **ret,
                const char **ret_reason) {
        int r;

        assert_return(l, -EINVAL);
        assert_return(handler, -EINVAL);
        assert_return(ret, -EINVAL);
        r = proc_exit_check_cgroup_fd(hub_cgroup_fd);
        if (r < 0)
                return r;
        if (ret_reason)
                *ret_reason = "built without BPF";
        return -EOPNOTSUPP;
}

proc_exit_monitor *proc_exit_monitor_free(proc_exit_monitor *m) {
        /* None can exist. */
        assert(!m);
        return NULL;
}

int proc_exit_monitor_consume(proc_exit_monitor *m) {
        assert_return(m, -EINVAL);
        return -EOPNOTSUPP;
}

int proc_exit_monitor_dropped(const proc_exit_monitor *m, uint64_t *ret) {
        assert_return(m, -EINVAL);
        assert_return(ret, -EINVAL);
        return -EOPNOTSUPP;
}

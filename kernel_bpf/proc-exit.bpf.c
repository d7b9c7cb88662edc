// SPDX-License-Identifier: MIT
/* Process exits inside the hub's cgroup subtree, as the kernel sees them.
 *
 * tp_btf/sched_process_exit runs in the exiting task. Only the thread that
 * takes the whole group down (group_dead) is reported by default, so there
 * is one event per process with its final status, whichever thread died
 * last. The cgroup filter is exitsnoop's: a one-slot CGROUP_ARRAY holding
 * the hub group's v2 directory, tested with bpf_current_task_under_cgroup()
 * before anything else is done, so exits elsewhere on the host cost one
 * helper call.
 *
 * tp_btf/mark_victim fires when the OOM killer picks a task; it runs in the
 * context of the allocating task, not the victim, so it cannot be filtered
 * by cgroup: victims are remembered by tgid in an LRU map and claimed by
 * the exit event. */

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "proc-exit.h"

/* include/linux/sched/signal.h; macros do not reach vmlinux.h. */
#define SIGNAL_GROUP_EXIT 0x00000004

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Settings, through skel->rodata before load. */
const volatile bool trace_threads = false;     /* every thread's exit, not one per process */

struct {
        __uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u32);
} hub_cgroup SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(max_entries, 4096);
        __type(key, __u32);     /* tgid */
        __type(value, __u64);   /* its start_time: a reused pid is not a victim */
} oom_victims SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Events the ring buffer had no room for. */
__u64 dropped = 0;

SEC("tp_btf/mark_victim")
int BPF_PROG(proc_exit_mark_victim, struct task_struct *task, uid_t uid) {
        __u32 tgid = BPF_CORE_READ(task, tgid);
        __u64 start = BPF_CORE_READ(task, group_leader, start_time);

        bpf_map_update_elem(&oom_victims, &tgid, &start, BPF_ANY);
        return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit_sched_process_exit, struct task_struct *task, bool group_dead) {
        struct proc_exit_event *e;
        __u32 tgid, pid, code;
        __u64 *victim_start;

        if (bpf_current_task_under_cgroup(&hub_cgroup, 0) != 1)
                return 0;

        tgid = BPF_CORE_READ(task, tgid);
        pid = BPF_CORE_READ(task, pid);
        if (!trace_threads && !group_dead)
                return 0;

        /* wait_task_zombie()'s choice: the group's code after a group exit
         * (exit_group(), a fatal signal), the task's own otherwise. */
        if (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT)
                code = BPF_CORE_READ(task, signal, group_exit_code);
        else
                code = BPF_CORE_READ(task, exit_code);

        e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                __sync_fetch_and_add(&dropped, 1);
                return 0;
        }
        e->timestamp_ns = bpf_ktime_get_ns();
        e->cgroup_id = bpf_get_current_cgroup_id();
        e->pid = trace_threads ? pid : tgid;
        e->ppid = BPF_CORE_READ(task, real_parent, tgid);
        e->signal = code & 0x7f;
        e->exit_code = e->signal ? 0 : (code >> 8) & 0xff;
        e->core_dumped = e->signal && (code & 0x80) ? 1 : 0;
        e->oom_killed = 0;
        victim_start = group_dead ? bpf_map_lookup_elem(&oom_victims, &tgid) : NULL;
        if (victim_start) {
                e->oom_killed = *victim_start == BPF_CORE_READ(task, group_leader, start_time);
                bpf_map_delete_elem(&oom_victims, &tgid);
        }
        __builtin_memset(e->pad, 0, sizeof(e->pad));
        bpf_get_current_comm(e->comm, sizeof(e->comm));
        bpf_ringbuf_submit(e, 0);
        return 0;
}

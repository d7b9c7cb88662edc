/* SPDX-License-Identifier: MIT */
#pragma once

/* Private to cgroup/: the handle layouts and the helpers the files of the
 * module share. Tests include it for white-box checks (value conversions,
 * the paths a group uses). */

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "macros.h"

/* pids.max above this is refused by the kernel (PID_MAX_LIMIT on 64 bit). */
#define CGROUP_PIDS_MAX_LIMIT 4194304ULL

/* v1 cpu.shares and blkio.weight ranges, and BFQ's (blkio.bfq.weight,
 * io.bfq.weight): the same constants systemd uses. */
#define CGROUP_CPU_SHARES_MIN 2ULL
#define CGROUP_CPU_SHARES_DEFAULT 1024ULL
#define CGROUP_CPU_SHARES_MAX 262144ULL
#define CGROUP_BLKIO_WEIGHT_MIN 10ULL
#define CGROUP_BLKIO_WEIGHT_DEFAULT 500ULL
#define CGROUP_BLKIO_WEIGHT_MAX 1000ULL
#define CGROUP_BFQ_WEIGHT_MIN 1ULL
#define CGROUP_BFQ_WEIGHT_DEFAULT 100ULL
#define CGROUP_BFQ_WEIGHT_MAX 1000ULL

/* Bounds of the waits for a killed group to empty (purge, fallback kill). */
#define CGROUP_EMPTY_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define CGROUP_KILL_ROUNDS_MAX 64U

/* Name of the v2 leaf the supervising process moves into. */
#define CGROUP_SUPERVISOR_LEAF "supervisor"

struct cgroup_subtree {
        cgroup_hierarchy *hierarchy; /* our own copy, backends as usable */
        char *v2_own_dir;            /* absolute directory of <own> in v2 */
        char *v1_own_dir[_CGROUP_CONTROLLER_MAX]; /* for V1 backends only */
        /* Where a group's paths start inside its v2 directory, which is
         * cg_path_join(v2_own_dir, rel): the path inside the hierarchy
         * (after the mount point) and rel (after <own>/). */
        size_t v2_rel_offset;
        size_t rel_offset;
        /* Group handles borrowing from us: freeing the subtree under them
         * would leave them dangling (cgroup_subtree_free()). */
        atomic_uint n_groups;
};

/* A handle keeps one path; the rest is the subtree's, borrowed, because
 * every group of a subtree would hold the same copies (at 10,000 children
 * they were most of a child's memory). v1 directories are composed when
 * they are used (cgroup_group_v1_dir()). Which of them exist is read from
 * the file system, not remembered: a v1 directory is created when a
 * policy or the memory accounting needs it, and a spawn joins the deepest
 * existing one on the group's path (see cgroup-spawn.c). There is no link
 * to the parent handle. */
struct cgroup_group {
        cgroup_subtree *subtree; /* borrowed: outlives the handle */
        /* The v2 directory's inode, which is the kernel's cgroup id, when
         * it was learnt on the way (cgroup_adoption_take()) or asked for
         * (cgroup_group_id()); 0 if not. */
        uint64_t id;
        /* Below <own>: "a.hub" or "a.hub/b.child". Only this part is kept:
         * the v2 directory is <own>'s joined to it when used, as the v1
         * ones always were (<own>'s path in every handle was 20-60 bytes
         * of each child's memory). */
        char rel[];
};

static inline const char *cgroup_group_rel(const cgroup_group *g) {
        return g->rel;
}

/* cgroup-group.c: g's absolute v2 directory, composed into buf (the
 * length was checked when the handle was made). */
const char *cgroup_group_v2_dir(const cgroup_group *g, char buf[static PATH_MAX]);
/* The same in a buffer that lives until the end of the enclosing block:
 * for an argument, never for a pointer kept past the statement. */
#define CGROUP_V2_DIR(g) cgroup_group_v2_dir((g), (char[PATH_MAX]) {})

static inline cgroup_backend cgroup_group_backend(const cgroup_group *g, cgroup_controller c) {
        return g->subtree->hierarchy->backend[c];
}

/* cgroup-hierarchy.c */
const char *cgroup_controller_to_v1_string(cgroup_controller c);
int cgroup_hierarchy_dup(const cgroup_hierarchy *h, cgroup_hierarchy **ret);

/* cgroup-escape.c */
bool cgroup_name_is_valid(const char *name);

/* cgroup-group.c */
/* The handle of parent/name alone, no directory touched: for
 * cgroup_group_new(), cgroup_adoption_take() and the tests. */
int cgroup_group_alloc(cgroup_subtree *t, const cgroup_group *parent, const char *name, cgroup_group **ret);
/* g's directory in the v1 hierarchy of c, composed into buf (it fits:
 * cgroup_group_alloc() checked), or NULL when c is not on v1. The
 * directory may not exist. */
const char *cgroup_group_v1_dir(const cgroup_group *g, cgroup_controller c, char buf[static PATH_MAX]);
/* The v2 controllers p uses enabled in cgroup.subtree_control from <own>
 * down to g's parent, and memory, best effort, for the OOM counts. done
 * (optional): a bit per controller tried already, skipped and added to. */
int cgroup_group_enable_controllers(const cgroup_group *g, const cgroup_policy *p, unsigned *done);

/* cgroup-group-state.c */
/* The OOM kill count in the memory files of dir (relative to dirfd) for
 * memory on backend b: -ENOENT when not accounted there. */
int cg_read_oom_kills(int dirfd, const char *dir, cgroup_backend b, uint64_t *ret);

/* cgroup-subtree.c */
/* Whether an earlier controller shares c's v1 hierarchy (co-mounts like
 * "cpu,cpuacct,blkio"): a walk over the hierarchies visits each once. */
bool cgroup_subtree_v1_seen(const cgroup_subtree *t, cgroup_controller c);

/* cgroup-policy.c */
uint64_t cgroup_cpu_weight_to_shares(uint64_t weight);
uint64_t cgroup_io_weight_to_blkio(uint64_t weight);
uint64_t cgroup_io_weight_to_bfq(uint64_t weight);
bool cgroup_policy_uses(const cgroup_policy *p, cgroup_controller c);
int cgroup_policy_check_backends(const cgroup_backend backend[static _CGROUP_CONTROLLER_MAX],
                                 const cgroup_policy *p, const char **ret_reason);
/* Write p into g's files. reset: unset fields go back to the kernel's
 * default where the files exist (a reused group, set_policy); otherwise
 * they are left alone (a fresh group already has the defaults). */
int cgroup_policy_apply(const cgroup_group *g, const cgroup_policy *p, bool reset);

/* cgroup-util.c */
char *cg_path_join(const char *a, const char *b);
/* cg_path_join() into buf: returns the path's length (without the NUL),
 * and writes it only when that is below size (no cut paths). */
size_t cg_path_join_to(char *buf, size_t size, const char *a, const char *b);
int cg_read_file(const char *path, char **ret);
int cg_write_file(const char *path, const char *value);
int cg_read_attr(const char *dir, const char *file, char **ret);
int cg_write_attr(const char *dir, const char *file, const char *value);
int cg_parse_keyed_u64(const char *s, const char *key, uint64_t *ret);
/* dir relative to dirfd (or AT_FDCWD) */
int cg_read_keyed_u64_at(int dirfd, const char *dir, const char *file, const char *key, uint64_t *ret);
int cg_read_keyed_u64(const char *dir, const char *file, const char *key, uint64_t *ret);
int cg_read_pids(const char *dir, pid_t **ret, size_t *ret_n);
int cg_is_dir(const char *path);
int cg_has_subdirs(const char *dir);
int cg_mkdir(const char *path);
int cg_rmdir(const char *path);
int cg_rmdir_recursive(const char *dir);
int cg_procs_recursive_empty(const char *dir);
int cg_kill_recursive(const char *dir);
int cg_wait_v1_empty(const char *dir, uint64_t timeout_usec);
int cg_wait_v2_unpopulated(const char *dir, uint64_t timeout_usec);

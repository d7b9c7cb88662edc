/* SPDX-License-Identifier: MIT */
#pragma once

/* cgroup v2 discovery and management (with the v1 memory, pids, cpu and
 * blkio hierarchies where cgroup2 lacks those controllers, as on hybrid
 * hosts).
 *
 * Layout under the cgroup the process runs in ("own", from
 * /proc/self/cgroup), in every hierarchy used:
 *
 *     <own>/supervisor/            the supervising process itself (v2 only,
 *                                  when <own> is not the root: the
 *                                  no-internal-processes rule)
 *     <own>/<hub>.hub/             one group per hub, hub-wide policy
 *     <own>/<hub>.hub/<id>.child/  one leaf per running child
 *
 * Names are escaped (cgroup_escape_name()) so that any id is a valid,
 * unambiguous directory name that an operator still recognises in ls or
 * systemd-cgls.
 *
 * Conventions (STYLE.md): >= 0 success, -errno failure, ret_* last and
 * untouched on failure; never logs above debug. */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* HYBRID as soon as any cgroup v1 hierarchy is mounted beside cgroup2. */
typedef enum cgroup_layout {
        CGROUP_LAYOUT_UNIFIED, /* pure v2 at /sys/fs/cgroup */
        CGROUP_LAYOUT_HYBRID,  /* v2 at /sys/fs/cgroup/unified, controllers on v1 */
        _CGROUP_LAYOUT_MAX,
        _CGROUP_LAYOUT_INVALID = -EINVAL,
} cgroup_layout;

typedef enum cgroup_controller {
        CGROUP_CONTROLLER_MEMORY,
        CGROUP_CONTROLLER_PIDS,
        CGROUP_CONTROLLER_CPU,
        CGROUP_CONTROLLER_IO, /* "io" on v2, "blkio" on v1 */
        _CGROUP_CONTROLLER_MAX,
        _CGROUP_CONTROLLER_INVALID = -EINVAL,
} cgroup_controller;

const char *cgroup_layout_to_string(cgroup_layout l);
const char *cgroup_controller_to_string(cgroup_controller c); /* v2 names */

/* Where a controller lives for this process: V2 when it is listed in the
 * cgroup.controllers of our own v2 group, else V1 when a v1 hierarchy holding
 * it is mounted (co-mounts like "cpu,cpuacct" included) and our group in it
 * is visible through the mount, else NONE. */
typedef enum cgroup_backend {
        CGROUP_BACKEND_NONE, /* neither v2 nor a v1 hierarchy has it */
        CGROUP_BACKEND_V2,
        CGROUP_BACKEND_V1,
        _CGROUP_BACKEND_MAX,
        _CGROUP_BACKEND_INVALID = -EINVAL,
} cgroup_backend;

typedef struct cgroup_hierarchy {
        cgroup_layout layout;
        char *v2_mount;    /* "/sys/fs/cgroup" or "/sys/fs/cgroup/unified" */
        char *v2_own;      /* own path inside v2, "/" or "/system.slice/x.service"
                            * (relative to the mount's root, which is the
                            * hierarchy's root except in odd container set-ups) */
        /* Per controller: which backend holds it, and for v1 the hierarchy's
         * mount point and our own path inside it. */
        cgroup_backend backend[_CGROUP_CONTROLLER_MAX];
        char *v1_mount[_CGROUP_CONTROLLER_MAX];
        char *v1_own[_CGROUP_CONTROLLER_MAX];
} cgroup_hierarchy;

/* Parse a mount table (the format of /proc/self/mountinfo) and a
 * /proc/<pid>/cgroup file, without touching the cgroup file systems: backend[]
 * is filled from the v1 mounts and, for v2, from the "cgroup.controllers" file
 * found at v2_mount + v2_own when it is readable (so a fixture can provide
 * one in a temporary folder; unreadable means no v2 controller). -ENOMEDIUM
 * when no cgroup2 mount is found or the cgroup file has no "0::" line;
 * -EBADMSG for a malformed line in either file; -ENOENT etc. when a file
 * cannot be read. When cgroup2 is mounted several times, /sys/fs/cgroup,
 * then /sys/fs/cgroup/unified, then the first mount is used. */
int cgroup_hierarchy_parse(const char *mountinfo_path, const char *proc_cgroup_path, cgroup_hierarchy **ret);
/* cgroup_hierarchy_parse("/proc/self/mountinfo", "/proc/self/cgroup"). */
int cgroup_hierarchy_discover(cgroup_hierarchy **ret);
cgroup_hierarchy *cgroup_hierarchy_free(cgroup_hierarchy *h);

/* Resource policy of a group. 0 means "not set" (inherit); CGROUP_LIMIT_MAX
 * means "explicitly unlimited". */
#define CGROUP_LIMIT_MAX UINT64_MAX
#define CGROUP_WEIGHT_MIN 1ULL
#define CGROUP_WEIGHT_MAX 10000ULL
#define CGROUP_WEIGHT_DEFAULT 100ULL
typedef struct cgroup_policy {
        uint64_t memory_max; /* bytes */
        uint64_t pids_max;
        /* 16 bits hold every weight: a policy is 24 bytes instead of 32 in
         * every child spec. A wider value is checked with
         * cgroup_weight_fits() before it is stored, so that it cannot wrap
         * into a valid weight. */
        uint16_t cpu_weight; /* 1..10000, v2 semantics (cpu.shares = w * 1024 / 100 on v1) */
        uint16_t io_weight;  /* 1..10000 (blkio.weight 10..1000 on v1) */
} cgroup_policy;

/* Whether a weight from a wider field (the public API's, a file's) may be
 * stored in a policy: not set (0) or in range. */
static inline bool cgroup_weight_fits(uint64_t weight) {
        return weight <= CGROUP_WEIGHT_MAX;
}

/* NULL counts as empty. */
bool cgroup_policy_is_empty(const cgroup_policy *p);
/* -EINVAL for out-of-range values (weights outside 1..10000, pids_max above
 * the kernel's 4194304 other than CGROUP_LIMIT_MAX), -EOPNOTSUPP for a limit
 * whose controller neither v2 nor v1 provides; *ret_reason (optional) then
 * names the limit and what is missing, e.g. "memory_max: no memory
 * controller in cgroup2 or v1" (a static string), and is set to NULL on
 * success. Range errors are reported before missing controllers. A v1 blkio
 * hierarchy without any weight file is only found out when writing
 * (-EOPNOTSUPP from cgroup_group_new()/cgroup_group_set_policy()). */
int cgroup_policy_check(const cgroup_hierarchy *h, const cgroup_policy *p, const char **ret_reason);

/* Escape an id into a directory name: bytes outside [A-Za-z0-9:_.@-] and a
 * leading '.' become \xNN, then suffix (".hub", ".child") is appended. Names
 * longer than NAME_MAX are cut and end in a hash of the whole id, so they
 * stay unique. -EINVAL for an empty id or a suffix not starting with '.'.
 *
 * Details: a backslash is escaped too, so every '\' starts an escape; a cut
 * name ends in "~<16 hex digits of FNV-1a 64>" + suffix ('~' never comes out
 * of the escaping, so cut and uncut names cannot meet) and never splits an
 * escape. The suffix must consist of the plain characters above and leave
 * room for the hash (-EINVAL otherwise). The result is freed with free(). */
int cgroup_escape_name(const char *id, const char *suffix, char **ret);

/* The subtree this process was given: opening it moves the process into
 * <own>/supervisor in v2 when <own> is not the root (-EBUSY never: joining an
 * existing supervisor leaf shared with other processes of the same group is
 * fine). Controllers that v2 has and that policies may need are enabled in
 * <own>/cgroup.subtree_control.
 *
 * Details: "the root" is the hierarchy's real root; the root of a cgroup
 * namespace is an ordinary group and gets the leaf too. A hierarchy
 * discovered while already in <own>/supervisor is taken to mean <own> (no
 * second leaf). Enabling is best effort here (processes left in <own> make
 * the kernel refuse); group creation enables what a policy needs along the
 * path and fails then. The subtree keeps its own copy of h; a v1 hierarchy
 * whose <own> directory is missing is dropped to CGROUP_BACKEND_NONE in that
 * copy, so check policies against cgroup_subtree_hierarchy(). -ENOENT when
 * <own> does not exist in v2. */
typedef struct cgroup_subtree cgroup_subtree;
int cgroup_subtree_open(const cgroup_hierarchy *h, cgroup_subtree **ret);
/* The groups of a subtree borrow its paths (a supervisor of 10,000
 * children would otherwise hold 10,000 copies of them): free every group
 * handle of t before t. Freeing t while any is left is a bug; t is then
 * not freed, so that those handles stay valid, and leaks (LeakSanitizer
 * reports it). Accepts NULL, returns NULL. */
cgroup_subtree *cgroup_subtree_free(cgroup_subtree *t);
const cgroup_hierarchy *cgroup_subtree_hierarchy(const cgroup_subtree *t);

/* A group in every hierarchy that it needs: always in v2; in a v1
 * hierarchy when the group or an ancestor sets a policy for that controller
 * (only then: a move into a v1 group costs an RCU grace period, see
 * cgroup-group.c). Creating a group whose directories exist and are empty reuses
 * them; -EBUSY when they hold processes. The policy is checked first
 * (cgroup_policy_check()) and nothing is created when it fails.
 * parent == NULL creates a top-level group of the subtree. name is already
 * escaped (cgroup_escape_name()).
 *
 * Details: p may be NULL (no policy). A reused group gets the unset fields
 * of p reset to the kernel's defaults (limits of an earlier run do not
 * linger). In v2 the controllers p sets are enabled in cgroup.subtree_control
 * from <own> down to the parent, and memory is, best effort, for the OOM
 * counts. Whatever fails after a directory was made removes what this call
 * made. -EINVAL for an invalid name ("", "/", ".", "..", longer than
 * NAME_MAX, "supervisor" at the top) or a parent of another subtree;
 * -ENOENT when the parent's directory is gone; -ENAMETOOLONG when a
 * directory's path would reach PATH_MAX. A handle refers to its subtree,
 * which must outlive it (cgroup_subtree_free()), not to its parent: it may
 * outlive the parent's handle. */
typedef struct cgroup_group cgroup_group;
int cgroup_group_new(cgroup_subtree *t, cgroup_group *parent, const char *name, const cgroup_policy *p, cgroup_group **ret);
/* As cgroup_group_new(), but directories that hold processes are taken as
 * they are, processes included (in v2 and in v1): the way back to the groups
 * of an earlier run of the supervising process, whose children are to be
 * adopted. Missing directories are created as by cgroup_group_new(). */
int cgroup_group_adopt(cgroup_subtree *t, cgroup_group *parent, const char *name, const cgroup_policy *p,
                       cgroup_group **ret);
/* Many groups below one parent taken back at once (a supervisor adopting
 * the children of its killed predecessor): the parent's directories are
 * opened and listed once. cgroup_adoption_take() is cgroup_group_adopt(t,
 * parent, name, p, ret) for a group whose directories were all listed (in
 * v2, and in the v1 hierarchies p and the memory accounting need, the rule
 * of cgroup_group_new()): taken without a syscall and without writing
 * anything, not even p, which the group got when it was made (write it
 * with cgroup_group_set_policy() if it may differ); the controllers p uses
 * are enabled above the groups once per adoption. Any other group (one
 * missing a directory, made since, or below a directory that could not be
 * read) is taken the long way, by cgroup_group_adopt().
 * cgroup_adoption_oom_kills() is cgroup_group_oom_kills() for a group taken
 * by a, read below the held directory (-EINVAL for another group).
 * cgroup_adoption_new() fails only with -ENOMEM, or -EINVAL for a parent
 * of another subtree. The adoption refers to t and parent: free it before
 * them; the groups it gives borrow from t as any other. */
typedef struct cgroup_adoption cgroup_adoption;
int cgroup_adoption_new(cgroup_subtree *t, cgroup_group *parent, cgroup_adoption **ret);
int cgroup_adoption_take(cgroup_adoption *a, const char *name, const cgroup_policy *p, cgroup_group **ret);
int cgroup_adoption_oom_kills(const cgroup_adoption *a, const cgroup_group *g, uint64_t *ret);
cgroup_adoption *cgroup_adoption_free(cgroup_adoption *a);
/* Frees the handle, leaves the directories. Accepts NULL, returns NULL. */
cgroup_group *cgroup_group_free(cgroup_group *g);
/* Absolute path of the v2 directory, composed into buf (a handle keeps
 * only its part below <own>); NULL for a NULL g. */
const char *cgroup_group_path(const cgroup_group *g, char buf[static PATH_MAX]);
/* Path inside the v2 hierarchy as /proc/<pid>/cgroup shows it
 * ("/a/b.hub/c.child"), composed likewise: a pointer into buf. */
const char *cgroup_group_v2_relative_path(const cgroup_group *g, char buf[static PATH_MAX]);
/* Either in a buffer that lives until the end of the enclosing block
 * (systemd's FORMAT_*() way): for an argument or a log line, never for a
 * pointer kept past the statement. */
#define CGROUP_GROUP_PATH(g) cgroup_group_path((g), (char[PATH_MAX]) {})
#define CGROUP_GROUP_V2_RELATIVE_PATH(g) cgroup_group_v2_relative_path((g), (char[PATH_MAX]) {})
/* The group's own directory name (the last part of its path), kept in the
 * handle: valid as long as it. */
const char *cgroup_group_name(const cgroup_group *g);
/* The v2 group's id (its directory's inode, which the kernel reports as
 * the cgroup id), read once and kept in the handle; 0 when the directory
 * cannot be read. */
uint64_t cgroup_group_id(cgroup_group *g);
/* Replace the group's policy: p's unset fields go back to the defaults
 * ("max", weight 100). On v1 a controller the group is not in yet gets its
 * directory; -EBUSY when the group has processes then (they would stay
 * outside it: set such limits at creation). -ENOENT when the group is gone.
 * A write the kernel refuses may leave earlier fields of p applied. */
int cgroup_group_set_policy(cgroup_group *g, const cgroup_policy *p);

/* File descriptors a spawn needs: the v2 directory for clone3's
 * CLONE_INTO_CGROUP and the cgroup.procs of each v1 group. The new child
 * calls cgroup_spawn_fds_attach_v1() between clone and exec (it is
 * async-signal-safe: writes "0" to each v1 cgroup.procs).
 *
 * Details: all fds are O_CLOEXEC. In each v1 hierarchy the child joins the
 * deepest existing directory on the group's path (the group's, or that of
 * the ancestor that holds the policy); co-mounted hierarchies count once.
 * *ret is untouched on failure: initialise it as { .v2_dir = -EBADF } (n_v1
 * 0) if cgroup_spawn_fds_close() may run on it anyway. The fds can serve
 * several spawns; close them once done. */
#define CGROUP_SPAWN_V1_MAX _CGROUP_CONTROLLER_MAX
typedef struct cgroup_spawn_fds {
        int v2_dir;
        int v1_procs[CGROUP_SPAWN_V1_MAX];
        unsigned n_v1;
} cgroup_spawn_fds;
int cgroup_group_open_spawn_fds(const cgroup_group *g, cgroup_spawn_fds *ret);
int cgroup_spawn_fds_attach_v1(const cgroup_spawn_fds *f);
void cgroup_spawn_fds_close(cgroup_spawn_fds *f);

/* Kill every process in the group (cgroup.kill, or SIGKILL to each pid of
 * cgroup.procs on kernels without it), descendants included. Returns once the
 * signals are sent; wait for "populated 0" (cgroup_group_open_events()).
 * -ENOENT when the group is gone; -EBUSY when the fallback loop still finds
 * new processes after its bounded rounds. */
int cgroup_group_kill(const cgroup_group *g);
/* 1 when the group (with its descendants) has processes, 0 when empty.
 * Zombies do not count. -ENOENT when the group is gone. */
int cgroup_group_is_populated(const cgroup_group *g);
/* An fd on the v2 cgroup.events file: it polls POLLPRI when "populated"
 * changes. The caller owns it.
 *
 * How to use it: poll (or IORING_OP_POLL_ADD) for POLLPRI; the kernel sets
 * POLLPRI and POLLERR on a change, and POLLIN/POLLOUT are always set, so they
 * mean nothing. After each wake-up pread(fd, buf, n, 0) the file: reading
 * through this fd is what re-arms it, and its "populated 0|1" line says the
 * current state. Read once right after opening: the state may have changed
 * before the fd existed. (inotify IN_MODIFY on the file works too.) The fd
 * is O_CLOEXEC | O_NONBLOCK. */
int cgroup_group_open_events(const cgroup_group *g);
/* Number of OOM kills in this group (v2 memory.events "oom_kill", v1
 * memory.oom_control "oom_kill"); -ENOENT when memory is not accounted.
 * v2 counts descendants too; v1 counts only the group itself. */
int cgroup_group_oom_kills(const cgroup_group *g, uint64_t *ret);
/* 1 when pid's v2 cgroup is this group or below it, 0 when not (a sibling
 * that only shares a prefix, "a" vs "a2", is not below). -ESRCH when there is
 * no such process. */
int cgroup_group_contains_pid(const cgroup_group *g, pid_t pid);
/* The same for the process pidfd names (pid is its pid, for /proc): when
 * the process is in the group itself and the kernel tells (PIDFD_GET_INFO,
 * Linux 6.13) this costs one ioctl instead of a read of /proc/<pid>/cgroup;
 * -ESRCH when it has been reaped. */
int cgroup_group_contains_pidfd(const cgroup_group *g, int pidfd, pid_t pid);
/* The id of the v2 group the process pidfd names is in, as the kernel
 * tells (PIDFD_GET_INFO, Linux 6.13): -EOPNOTSUPP on older kernels, -ESRCH
 * once it has been reaped. */
int cgroup_pidfd_group_id(int pidfd, uint64_t *ret);
/* The id of the group right below g that pid is in, or below which it is
 * (a process that made groups of its own under its leaf): -ENOENT when pid
 * is not below g, -ESRCH when there is no such process. Reads
 * /proc/<pid>/cgroup: the slow way, for what cgroup_pidfd_group_id() cannot
 * answer. */
int cgroup_group_child_id_of_pid(const cgroup_group *g, pid_t pid, uint64_t *ret);
/* Remove the directories in every hierarchy (the group must be empty:
 * -EBUSY otherwise; child groups must be gone: -ENOTEMPTY). The handle stays
 * valid, to be freed. Missing directories are not an error. */
int cgroup_group_remove(cgroup_group *g);

/* Kill everything below and remove it depth-first, in every hierarchy: the
 * cleanup of last resort (a test's teardown, a hub's stop after a crash).
 * name is a top-level group name of the subtree. Missing is not an error.
 * Waits (at most 5 s per hierarchy) for the killed processes to be gone,
 * goes on with the other hierarchies when one fails, and returns the first
 * error. Only processes inside the named group are signalled. */
int cgroup_subtree_purge(cgroup_subtree *t, const char *name);

static inline void cgroup_hierarchy_freep(cgroup_hierarchy **h) {
        if (*h)
                cgroup_hierarchy_free(*h);
}
static inline void cgroup_subtree_freep(cgroup_subtree **t) {
        if (*t)
                cgroup_subtree_free(*t);
}
static inline void cgroup_group_freep(cgroup_group **g) {
        if (*g)
                cgroup_group_free(*g);
}
static inline void cgroup_adoption_freep(cgroup_adoption **a) {
        if (*a)
                cgroup_adoption_free(*a);
}
#define _cleanup_cgroup_hierarchy_ __attribute__((cleanup(cgroup_hierarchy_freep)))
#define _cleanup_cgroup_subtree_ __attribute__((cleanup(cgroup_subtree_freep)))
#define _cleanup_cgroup_group_ __attribute__((cleanup(cgroup_group_freep)))
#define _cleanup_cgroup_adoption_ __attribute__((cleanup(cgroup_adoption_freep)))

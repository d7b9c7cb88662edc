/* SPDX-License-Identifier: MIT */
/* Taking back many groups below one parent at once (the children of a
 * supervising process that was killed): the parent's directories are read
 * once, and a group whose directories are all listed is taken as it is,
 * without a syscall. cgroup_group_adopt() made each one cost some forty
 * syscalls on full paths (mkdir, stat, the policy written again), which at
 * 10,000 children was most of a second. */

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "log.h"

typedef struct listed_dir {
        char *name;
        uint64_t ino;
} listed_dir;

/* The subdirectories of one of the parent's directories, sorted by name. */
typedef struct listing {
        listed_dir *dirs;
        size_t n;
} listing;

struct cgroup_adoption {
        cgroup_subtree *subtree;
        cgroup_group *parent;
        int v2_fd; /* the parent's v2 directory */
        listing v2;
        /* The parent's v1 directories that exist (else -EBADF), listed. */
        int v1_fd[_CGROUP_CONTROLLER_MAX];
        listing v1[_CGROUP_CONTROLLER_MAX];
        unsigned v2_enabled; /* bit per controller enabled above the groups already */
};

static void listing_done(listing *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->dirs[i].name);
        free(l->dirs);
        *l = (listing) {};
}

static int compare_listed(const void *a, const void *b) {
        return strcmp(((const listed_dir *) a)->name, ((const listed_dir *) b)->name);
}

/* kernfs gives the inode, which is the cgroup id, in d_ino: one pass over
 * the directory instead of a stat per group. */
static int listing_read(int fd, listing *ret) {
        _cleanup_(listing_done) listing l = {};
        _cleanup_close_ int dfd = -EBADF;
        DIR *d;
        struct dirent *de;
        size_t allocated = 0;
        int r = 0;

        dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        d = fdopendir(dfd);
        if (!d)
                return -errno;
        TAKE_FD(dfd);
        while ((errno = 0, de = readdir(d))) {
                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (l.n == allocated) {
                        size_t a = allocated ? allocated * 2 : 64;
                        listed_dir *p = reallocarray(l.dirs, a, sizeof *p);

                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        l.dirs = p;
                        allocated = a;
                }
                l.dirs[l.n].name = strdup(de->d_name);
                if (!l.dirs[l.n].name) {
                        r = -ENOMEM;
                        break;
                }
                l.dirs[l.n++].ino = (uint64_t) de->d_ino;
        }
        if (r == 0 && errno > 0)
                r = -errno;
        (void) closedir(d);
        if (r < 0)
                return r;
        if (l.n > 1)
                qsort(l.dirs, l.n, sizeof *l.dirs, compare_listed);
        *ret = l;
        l = (listing) {};
        return 0;
}

static const listed_dir *listing_find(const listing *l, const char *name) {
        listed_dir key = { .name = (char *) name };

        return l->n > 0 ? bsearch(&key, l->dirs, l->n, sizeof *l->dirs, compare_listed) : NULL;
}

cgroup_adoption *cgroup_adoption_free(cgroup_adoption *a) {
        if (!a)
                return NULL;
        safe_close(a->v2_fd);
        listing_done(&a->v2);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                safe_close(a->v1_fd[c]);
                listing_done(&a->v1[c]);
        }
        free(a);
        return NULL;
}

/* A directory that cannot be read (missing: the parent is not in that v1
 * hierarchy) stays -EBADF and empty: its groups are taken the long way,
 * which says what is wrong with them, if anything. Only -ENOMEM fails. */
static int open_and_list(const char *path, int *ret_fd, listing *ret) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                log_debug("cgroup: opening %s: %m", path);
                return 0;
        }
        r = listing_read(fd, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_debug("cgroup: listing %s: %s", path, strerror(-r));
                return 0;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int cgroup_adoption_new(cgroup_subtree *t, cgroup_group *parent, cgroup_adoption **ret) {
        _cleanup_cgroup_adoption_ cgroup_adoption *a = NULL;
        int r;

        assert_return(t, -EINVAL);
        assert_return(parent, -EINVAL);
        /* its groups' paths are parent's followed by a name, read with
         * t's offsets (cgroup_group_alloc()) */
        assert_return(strcmp(parent->subtree->v2_own_dir, t->v2_own_dir) == 0, -EINVAL);
        assert_return(ret, -EINVAL);

        a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->subtree = t;
        a->parent = parent;
        a->v2_fd = -EBADF;
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                a->v1_fd[c] = -EBADF;

        r = open_and_list(CGROUP_V2_DIR(parent), &a->v2_fd, &a->v2);
        if (r < 0)
                return r;
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                char dir[PATH_MAX];

                if (!cgroup_group_v1_dir(parent, c, dir))
                        continue;
                r = open_and_list(dir, &a->v1_fd[c], &a->v1[c]);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(a);
        return 0;
}

/* Whether name has every directory that p and the memory accounting need
 * (the rule of cgroup_group_adopt()), with its v2 inode. */
static bool lookup(const cgroup_adoption *a, const char *name, const cgroup_policy *p, uint64_t *ret_id) {
        const listed_dir *v2 = listing_find(&a->v2, name);

        if (!v2)
                return false;
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (a->subtree->hierarchy->backend[c] != CGROUP_BACKEND_V1)
                        continue;
                if (!cgroup_policy_uses(p, c) && a->v1_fd[c] < 0)
                        continue;
                if (!listing_find(&a->v1[c], name))
                        return false;
        }
        *ret_id = v2->ino;
        return true;
}

int cgroup_adoption_take(cgroup_adoption *a, const char *name, const cgroup_policy *p, cgroup_group **ret) {
        static const cgroup_policy no_policy = {};
        _cleanup_cgroup_group_ cgroup_group *g = NULL;
        uint64_t id = 0;
        int r;

        assert_return(a, -EINVAL);
        assert_return(cgroup_name_is_valid(name), -EINVAL);
        assert_return(ret, -EINVAL);

        if (!p)
                p = &no_policy;
        r = cgroup_policy_check_backends(a->subtree->hierarchy->backend, p, NULL);
        if (r < 0)
                return r;
        if (!lookup(a, name, p, &id)) {
                log_debug("cgroup: %s/%s is incomplete: taken the long way", CGROUP_V2_DIR(a->parent), name);
                return cgroup_group_adopt(a->subtree, a->parent, name, p, ret);
        }

        r = cgroup_group_alloc(a->subtree, a->parent, name, &g);
        if (r < 0)
                return r;
        /* What cgroup_group_adopt() makes sure of for every group, once for
         * all of them. */
        r = cgroup_group_enable_controllers(g, p, &a->v2_enabled);
        if (r < 0)
                return r;
        g->id = id;
        *ret = TAKE_PTR(g);
        return 0;
}

int cgroup_adoption_oom_kills(const cgroup_adoption *a, const cgroup_group *g, uint64_t *ret) {
        const char *rel, *parent_rel;
        cgroup_backend b;
        size_t l;
        int fd;

        assert_return(a, -EINVAL);
        assert_return(g, -EINVAL);
        assert_return(ret, -EINVAL);
        rel = cgroup_group_rel(g);
        parent_rel = cgroup_group_rel(a->parent);
        l = strlen(parent_rel);
        assert_return(strncmp(rel, parent_rel, l) == 0 && rel[l] == '/', -EINVAL);

        b = a->subtree->hierarchy->backend[CGROUP_CONTROLLER_MEMORY];
        fd = b == CGROUP_BACKEND_V2 ? a->v2_fd : b == CGROUP_BACKEND_V1 ? a->v1_fd[CGROUP_CONTROLLER_MEMORY] : -EBADF;
        /* The parent's memory directory was made after we opened the
         * parent (by a group taken the long way): by its path then. */
        if (fd < 0)
                return cgroup_group_oom_kills(g, ret);
        return cg_read_oom_kills(fd, rel + l + 1, b, ret);
}

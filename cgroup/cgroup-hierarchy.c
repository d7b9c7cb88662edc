/* SPDX-License-Identifier: MIT */
/* Where the cgroup hierarchies are and where we are in them: the mount
 * table gives the cgroup2 mount and the v1 hierarchies with the controllers
 * each one holds (its super options: "rw,cpu,cpuacct"); /proc/<pid>/cgroup
 * gives our own path in each; cgroup.controllers of our own v2 group says
 * which controllers cgroup2 gives us. A controller that cgroup2 gives us is
 * used there; otherwise its v1 hierarchy, when one is mounted.
 *
 * Malformed input (a mount line without its " - " separator or with too few
 * fields, a cgroup line without two ':' or with a relative path) is
 * -EBADMSG. */

#include <string.h>

#include "cgroup-internal.h"
#include "log.h"

static const char *const layout_table[_CGROUP_LAYOUT_MAX] = {
        [CGROUP_LAYOUT_UNIFIED] = "unified",
        [CGROUP_LAYOUT_HYBRID] = "hybrid",
};

static const char *const controller_table[_CGROUP_CONTROLLER_MAX] = {
        [CGROUP_CONTROLLER_MEMORY] = "memory",
        [CGROUP_CONTROLLER_PIDS] = "pids",
        [CGROUP_CONTROLLER_CPU] = "cpu",
        [CGROUP_CONTROLLER_IO] = "io",
};

static const char *const controller_v1_table[_CGROUP_CONTROLLER_MAX] = {
        [CGROUP_CONTROLLER_MEMORY] = "memory",
        [CGROUP_CONTROLLER_PIDS] = "pids",
        [CGROUP_CONTROLLER_CPU] = "cpu",
        [CGROUP_CONTROLLER_IO] = "blkio",
};

const char *cgroup_layout_to_string(cgroup_layout l) {
        if (l < 0 || l >= _CGROUP_LAYOUT_MAX)
                return NULL;
        return layout_table[l];
}

const char *cgroup_controller_to_string(cgroup_controller c) {
        if (c < 0 || c >= _CGROUP_CONTROLLER_MAX)
                return NULL;
        return controller_table[c];
}

const char *cgroup_controller_to_v1_string(cgroup_controller c) {
        if (c < 0 || c >= _CGROUP_CONTROLLER_MAX)
                return NULL;
        return controller_v1_table[c];
}

static cgroup_controller controller_from_string(const char *const table[static _CGROUP_CONTROLLER_MAX], const char *s, size_t n) {
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (strlen(table[c]) == n && strncmp(table[c], s, n) == 0)
                        return c;
        return _CGROUP_CONTROLLER_INVALID;
}

cgroup_hierarchy *cgroup_hierarchy_free(cgroup_hierarchy *h) {
        if (!h)
                return NULL;
        free(h->v2_mount);
        free(h->v2_own);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                free(h->v1_mount[c]);
                free(h->v1_own[c]);
        }
        free(h);
        return NULL;
}

static int strdup_or_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int cgroup_hierarchy_dup(const cgroup_hierarchy *h, cgroup_hierarchy **ret) {
        _cleanup_cgroup_hierarchy_ cgroup_hierarchy *n = NULL;

        assert(h);
        assert(ret);

        n = calloc(1, sizeof *n);
        if (!n)
                return -ENOMEM;
        n->layout = h->layout;
        if (strdup_or_null(h->v2_mount, &n->v2_mount) < 0 || strdup_or_null(h->v2_own, &n->v2_own) < 0)
                return -ENOMEM;
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                n->backend[c] = h->backend[c];
                if (strdup_or_null(h->v1_mount[c], &n->v1_mount[c]) < 0 ||
                    strdup_or_null(h->v1_own[c], &n->v1_own[c]) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(n);
        return 0;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as a backslash and three octal
 * digits; undo that in place. */
static void unoctal(char *s) {
        char *w = s;

        for (const char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7') {
                        *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = '\0';
}

typedef struct mount_entry {
        char *root;  /* the mount's root inside its hierarchy */
        char *point; /* where it is mounted */
} mount_entry;

static void mount_entry_done(mount_entry *m) {
        free(m->root);
        free(m->point);
        *m = (mount_entry) {};
}

typedef struct parse_state {
        mount_entry v2[8]; /* cgroup2 may be mounted more than once */
        size_t n_v2;
        mount_entry v1[_CGROUP_CONTROLLER_MAX];
        bool any_v1;
        char *v2_path;
        char *v1_path[_CGROUP_CONTROLLER_MAX];
} parse_state;

static void parse_state_done(parse_state *s) {
        for (size_t i = 0; i < s->n_v2; i++)
                mount_entry_done(&s->v2[i]);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                mount_entry_done(&s->v1[c]);
                free(s->v1_path[c]);
        }
        free(s->v2_path);
}

static int mount_entry_set(mount_entry *m, const char *root, const char *point) {
        m->root = strdup(root);
        m->point = strdup(point);
        if (!m->root || !m->point) {
                mount_entry_done(m);
                return -ENOMEM;
        }
        return 0;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
static int parse_mount_line(parse_state *s, char *line) {
        char *field[64], *saveptr = NULL, *tok;
        size_t n = 0, sep = 0;
        const char *fstype, *opts;

        for (tok = strtok_r(line, " ", &saveptr); tok; tok = strtok_r(NULL, " ", &saveptr)) {
                if (n == ELEMENTSOF(field))
                        return -EBADMSG;
                if (sep == 0 && n >= 6 && strcmp(tok, "-") == 0)
                        sep = n;
                field[n++] = tok;
        }
        if (sep == 0 || n < sep + 4)
                return -EBADMSG;

        unoctal(field[3]);
        unoctal(field[4]);
        if (field[3][0] != '/' || field[4][0] != '/')
                return -EBADMSG;

        fstype = field[sep + 1];
        opts = field[sep + 3];

        if (strcmp(fstype, "cgroup2") == 0) {
                if (s->n_v2 == ELEMENTSOF(s->v2))
                        return 0;
                if (mount_entry_set(&s->v2[s->n_v2], field[3], field[4]) < 0)
                        return -ENOMEM;
                s->n_v2++;
                return 0;
        }
        if (strcmp(fstype, "cgroup") != 0)
                return 0;

        s->any_v1 = true;
        /* The super options name the controllers of this hierarchy. */
        for (const char *o = opts; *o;) {
                size_t l = strcspn(o, ",");
                cgroup_controller c = controller_from_string(controller_v1_table, o, l);

                if (c >= 0 && !s->v1[c].point)
                        if (mount_entry_set(&s->v1[c], field[3], field[4]) < 0)
                                return -ENOMEM;
                o += l;
                if (*o == ',')
                        o++;
        }
        return 0;
}

/* "4:memory:/a/b", "2:cpu,cpuacct:/", "1:name=systemd:/x", "0::/y" */
static int parse_cgroup_line(parse_state *s, char *line) {
        char *ctrls, *path;
        size_t digits;

        digits = strspn(line, "0123456789");
        if (digits == 0 || line[digits] != ':')
                return -EBADMSG;
        ctrls = line + digits + 1;
        path = strchr(ctrls, ':');
        if (!path)
                return -EBADMSG;
        *path++ = '\0';
        if (path[0] != '/')
                return -EBADMSG;

        if (*ctrls == '\0') {
                if (digits == 1 && line[0] == '0' && !s->v2_path) {
                        s->v2_path = strdup(path);
                        if (!s->v2_path)
                                return -ENOMEM;
                }
                return 0;
        }

        for (const char *o = ctrls; *o;) {
                size_t l = strcspn(o, ",");
                cgroup_controller c = controller_from_string(controller_v1_table, o, l);

                if (c >= 0 && !s->v1_path[c]) {
                        s->v1_path[c] = strdup(path);
                        if (!s->v1_path[c])
                                return -ENOMEM;
                }
                o += l;
                if (*o == ',')
                        o++;
        }
        return 0;
}

static int parse_lines(const char *path, parse_state *s, int (*parse_line)(parse_state *s, char *line)) {
        _cleanup_free_ char *buf = NULL;
        char *saveptr = NULL;
        int r;

        r = cg_read_file(path, &buf);
        if (r < 0)
                return log_debug_errno(r, "cgroup: cannot read %s: %s", path, strerror(-r));

        for (char *l = strtok_r(buf, "\n", &saveptr); l; l = strtok_r(NULL, "\n", &saveptr)) {
                if (strspn(l, " \t") == strlen(l))
                        continue;
                r = parse_line(s, l);
                if (r < 0)
                        return log_debug_errno(r, "cgroup: bad line in %s: %s", path, l);
        }
        return 0;
}

/* Our path as seen through a mount whose root is "root": "/" when the mount
 * shows the whole hierarchy; NULL when our group is not below that root. */
static const char *path_below_root(const char *path, const char *root) {
        size_t l;

        if (strcmp(root, "/") == 0)
                return path;
        l = strlen(root);
        while (l > 0 && root[l - 1] == '/')
                l--;
        if (strncmp(path, root, l) != 0)
                return NULL;
        if (path[l] == '\0')
                return "/";
        if (path[l] != '/')
                return NULL;
        return path + l;
}

static int pick_v2_mount(const parse_state *s, const mount_entry **ret, const char **ret_own) {
        static const char *const preferred[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        const mount_entry *best = NULL;
        const char *best_own = NULL;

        for (size_t i = 0; i < s->n_v2; i++) {
                const char *own = path_below_root(s->v2_path, s->v2[i].root);

                if (!own)
                        continue;
                if (!best) {
                        best = &s->v2[i];
                        best_own = own;
                }
                for (size_t j = 0; j < ELEMENTSOF(preferred); j++)
                        if (strcmp(s->v2[i].point, preferred[j]) == 0) {
                                *ret = &s->v2[i];
                                *ret_own = own;
                                return 0;
                        }
        }
        if (!best)
                return -ENOMEDIUM;
        *ret = best;
        *ret_own = best_own;
        return 0;
}

static int read_v2_controllers(cgroup_hierarchy *h) {
        _cleanup_free_ char *dir = NULL, *s = NULL;
        int r;

        dir = cg_path_join(h->v2_mount, h->v2_own);
        if (!dir)
                return -ENOMEM;
        r = cg_read_attr(dir, "cgroup.controllers", &s);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_debug("cgroup: no cgroup.controllers in %s (%s), no v2 controllers", dir, strerror(-r));
                return 0;
        }

        for (const char *o = s; *o;) {
                size_t l = strcspn(o, " \t\n");
                cgroup_controller c = controller_from_string(controller_table, o, l);

                if (c >= 0) {
                        h->backend[c] = CGROUP_BACKEND_V2;
                        /* A controller is bound to one hierarchy at a time:
                         * once cgroup2 has it, a v1 mount is stale. */
                        h->v1_mount[c] = mfree(h->v1_mount[c]);
                        h->v1_own[c] = mfree(h->v1_own[c]);
                }
                o += l;
                o += strspn(o, " \t\n");
        }
        return 0;
}

int cgroup_hierarchy_parse(const char *mountinfo_path, const char *proc_cgroup_path, cgroup_hierarchy **ret) {
        _cleanup_(parse_state_done) parse_state s = {};
        _cleanup_cgroup_hierarchy_ cgroup_hierarchy *h = NULL;
        const mount_entry *v2 = NULL;
        const char *own = NULL;
        int r;

        assert_return(mountinfo_path, -EINVAL);
        assert_return(proc_cgroup_path, -EINVAL);
        assert_return(ret, -EINVAL);

        r = parse_lines(mountinfo_path, &s, parse_mount_line);
        if (r < 0)
                return r;
        r = parse_lines(proc_cgroup_path, &s, parse_cgroup_line);
        if (r < 0)
                return r;

        if (s.n_v2 == 0 || !s.v2_path)
                return log_debug_errno(-ENOMEDIUM, "cgroup: no cgroup2 mount or no v2 line in %s", proc_cgroup_path);
        r = pick_v2_mount(&s, &v2, &own);
        if (r < 0)
                return log_debug_errno(r, "cgroup: our v2 group %s is outside every cgroup2 mount", s.v2_path);

        h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        h->layout = s.any_v1 ? CGROUP_LAYOUT_HYBRID : CGROUP_LAYOUT_UNIFIED;
        h->v2_mount = strdup(v2->point);
        h->v2_own = strdup(own);
        if (!h->v2_mount || !h->v2_own)
                return -ENOMEM;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                const char *v1_own;

                h->backend[c] = CGROUP_BACKEND_NONE;
                if (!s.v1[c].point || !s.v1_path[c])
                        continue;
                v1_own = path_below_root(s.v1_path[c], s.v1[c].root);
                if (!v1_own) {
                        log_debug("cgroup: our %s group %s is outside its mount, not using it",
                                  controller_v1_table[c], s.v1_path[c]);
                        continue;
                }
                h->v1_mount[c] = strdup(s.v1[c].point);
                h->v1_own[c] = strdup(v1_own);
                if (!h->v1_mount[c] || !h->v1_own[c])
                        return -ENOMEM;
                h->backend[c] = CGROUP_BACKEND_V1;
        }

        r = read_v2_controllers(h);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(h);
        return 0;
}

int cgroup_hierarchy_discover(cgroup_hierarchy **ret) {
        assert_return(ret, -EINVAL);
        return cgroup_hierarchy_parse("/proc/self/mountinfo", "/proc/self/cgroup", ret);
}

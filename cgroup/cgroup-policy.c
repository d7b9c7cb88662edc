/* SPDX-License-Identifier: MIT */
/* Resource policies: which ones this host can apply, and writing them in the
 * files of the backend that holds each controller.
 *
 *   limit        cgroup2                      v1
 *   memory_max   memory.max ("max")           memory.limit_in_bytes ("-1")
 *   pids_max     pids.max ("max")             pids.max ("max")
 *   cpu_weight   cpu.weight                   cpu.shares = w * 1024 / 100, 2..262144
 *   io_weight    io.weight ("default w"),     blkio.weight = w * 500 / 100, 10..1000,
 *                io.bfq.weight (BFQ scale)    blkio.bfq.weight (BFQ scale)
 *
 * The v1 and BFQ scales are systemd's (cgroup_cpu_weight_to_shares(),
 * cgroup_weight_io_to_blkio(), BFQ_WEIGHT()), so that the defaults map onto
 * the defaults (100 → 1024 shares, 500 blkio, 100 BFQ). For io every weight
 * file the group has is written; none at all is -EOPNOTSUPP. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"
#include "log.h"

#define CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))

uint64_t cgroup_cpu_weight_to_shares(uint64_t weight) {
        return CLAMP(weight * CGROUP_CPU_SHARES_DEFAULT / CGROUP_WEIGHT_DEFAULT, CGROUP_CPU_SHARES_MIN,
                     CGROUP_CPU_SHARES_MAX);
}

uint64_t cgroup_io_weight_to_blkio(uint64_t weight) {
        return CLAMP(weight * CGROUP_BLKIO_WEIGHT_DEFAULT / CGROUP_WEIGHT_DEFAULT, CGROUP_BLKIO_WEIGHT_MIN,
                     CGROUP_BLKIO_WEIGHT_MAX);
}

/* 1..100 stays as it is, 100..10000 maps linearly onto 100..1000. */
uint64_t cgroup_io_weight_to_bfq(uint64_t weight) {
        weight = CLAMP(weight, CGROUP_WEIGHT_MIN, CGROUP_WEIGHT_MAX);
        if (weight <= CGROUP_WEIGHT_DEFAULT)
                return CGROUP_BFQ_WEIGHT_DEFAULT - (CGROUP_WEIGHT_DEFAULT - weight) *
                                                           (CGROUP_BFQ_WEIGHT_DEFAULT - CGROUP_BFQ_WEIGHT_MIN) /
                                                           (CGROUP_WEIGHT_DEFAULT - CGROUP_WEIGHT_MIN);
        return CGROUP_BFQ_WEIGHT_DEFAULT + (weight - CGROUP_WEIGHT_DEFAULT) *
                                                   (CGROUP_BFQ_WEIGHT_MAX - CGROUP_BFQ_WEIGHT_DEFAULT) /
                                                   (CGROUP_WEIGHT_MAX - CGROUP_WEIGHT_DEFAULT);
}

static uint64_t policy_value(const cgroup_policy *p, cgroup_controller c) {
        switch (c) {
        case CGROUP_CONTROLLER_MEMORY:
                return p->memory_max;
        case CGROUP_CONTROLLER_PIDS:
                return p->pids_max;
        case CGROUP_CONTROLLER_CPU:
                return p->cpu_weight;
        case CGROUP_CONTROLLER_IO:
                return p->io_weight;
        default:
                assert(false);
                return 0;
        }
}

bool cgroup_policy_uses(const cgroup_policy *p, cgroup_controller c) {
        return p && policy_value(p, c) != 0;
}

bool cgroup_policy_is_empty(const cgroup_policy *p) {
        if (!p)
                return true;
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cgroup_policy_uses(p, c))
                        return false;
        return true;
}

static bool weight_is_valid(uint64_t w) {
        return w == 0 || (w >= CGROUP_WEIGHT_MIN && w <= CGROUP_WEIGHT_MAX);
}

int cgroup_policy_check_backends(const cgroup_backend backend[static _CGROUP_CONTROLLER_MAX],
                                 const cgroup_policy *p, const char **ret_reason) {
        static const char *const missing[_CGROUP_CONTROLLER_MAX] = {
                [CGROUP_CONTROLLER_MEMORY] = "memory_max: no memory controller in cgroup2 or v1",
                [CGROUP_CONTROLLER_PIDS] = "pids_max: no pids controller in cgroup2 or v1",
                [CGROUP_CONTROLLER_CPU] = "cpu_weight: no cpu controller in cgroup2 or v1",
                [CGROUP_CONTROLLER_IO] = "io_weight: no io controller in cgroup2 and no blkio in v1",
        };
        const char *reason = NULL;
        int r = 0;

        assert(backend);
        assert(p);

        /* Out-of-range values first: they are wrong on every host. */
        if (p->pids_max != 0 && p->pids_max != CGROUP_LIMIT_MAX && p->pids_max > CGROUP_PIDS_MAX_LIMIT) {
                reason = "pids_max: above the kernel's limit of 4194304";
                r = -EINVAL;
        } else if (!weight_is_valid(p->cpu_weight)) {
                reason = "cpu_weight: outside 1..10000";
                r = -EINVAL;
        } else if (!weight_is_valid(p->io_weight)) {
                reason = "io_weight: outside 1..10000";
                r = -EINVAL;
        } else
                for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                        if (cgroup_policy_uses(p, c) && backend[c] != CGROUP_BACKEND_V1 &&
                            backend[c] != CGROUP_BACKEND_V2) {
                                reason = missing[c];
                                r = -EOPNOTSUPP;
                                break;
                        }

        if (r < 0)
                log_debug("cgroup: policy refused: %s", reason);
        if (ret_reason)
                *ret_reason = reason;
        return r;
}

int cgroup_policy_check(const cgroup_hierarchy *h, const cgroup_policy *p, const char **ret_reason) {
        assert_return(h, -EINVAL);
        assert_return(p, -EINVAL);

        return cgroup_policy_check_backends(h->backend, p, ret_reason);
}

typedef struct attr_write {
        const char *file;
        char value[32];
} attr_write;

/* Write every file of w[] that exists in dir. required: the value was asked
 * for, so a group without any of the files cannot apply it. */
static int write_existing(const char *dir, const attr_write *w, size_t n, bool required) {
        bool any = false;
        int r;

        for (size_t i = 0; i < n; i++) {
                r = cg_write_attr(dir, w[i].file, w[i].value);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                any = true;
        }
        if (any || !required)
                return 0;

        r = cg_is_dir(dir);
        if (r < 0)
                return r;
        if (r == 0)
                return log_debug_errno(-ENOENT, "cgroup: %s is gone", dir);
        return log_debug_errno(-EOPNOTSUPP, "cgroup: %s has no %s%s to apply the policy", dir, w[0].file,
                               n > 1 ? " (nor its alternatives)" : "");
}

static void format_u64(char buf[static 32], uint64_t v) {
        (void) snprintf(buf, 32, "%" PRIu64, v);
}

static void format_limit(char buf[static 32], uint64_t v, const char *unlimited) {
        if (v == CGROUP_LIMIT_MAX)
                (void) snprintf(buf, 32, "%s", unlimited);
        else
                format_u64(buf, v);
}

static size_t controller_writes(cgroup_controller c, cgroup_backend b, uint64_t v, attr_write w[static 2]) {
        bool v2 = b == CGROUP_BACKEND_V2;

        switch (c) {
        case CGROUP_CONTROLLER_MEMORY:
                w[0].file = v2 ? "memory.max" : "memory.limit_in_bytes";
                format_limit(w[0].value, v, v2 ? "max" : "-1");
                return 1;
        case CGROUP_CONTROLLER_PIDS:
                w[0].file = "pids.max";
                format_limit(w[0].value, v, "max");
                return 1;
        case CGROUP_CONTROLLER_CPU:
                w[0].file = v2 ? "cpu.weight" : "cpu.shares";
                format_u64(w[0].value, v2 ? v : cgroup_cpu_weight_to_shares(v));
                return 1;
        case CGROUP_CONTROLLER_IO:
                if (v2) {
                        w[0].file = "io.weight";
                        (void) snprintf(w[0].value, sizeof w[0].value, "default %" PRIu64, v);
                        w[1].file = "io.bfq.weight";
                } else {
                        w[0].file = "blkio.weight";
                        format_u64(w[0].value, cgroup_io_weight_to_blkio(v));
                        w[1].file = "blkio.bfq.weight";
                }
                format_u64(w[1].value, cgroup_io_weight_to_bfq(v));
                return 2;
        default:
                assert(false);
                return 0;
        }
}

static uint64_t controller_default(cgroup_controller c) {
        return c == CGROUP_CONTROLLER_CPU || c == CGROUP_CONTROLLER_IO ? CGROUP_WEIGHT_DEFAULT : CGROUP_LIMIT_MAX;
}

int cgroup_policy_apply(const cgroup_group *g, const cgroup_policy *p, bool reset) {
        int r;

        assert(g);
        assert(p);

        r = cg_is_dir(CGROUP_V2_DIR(g));
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                cgroup_backend b = cgroup_group_backend(g, c);
                uint64_t v = policy_value(p, c);
                attr_write w[2] = {};
                char v1_dir[PATH_MAX], v2_dir[PATH_MAX];
                const char *dir;
                size_t n;

                if (v == 0 && !reset)
                        continue;
                if (b == CGROUP_BACKEND_V2)
                        dir = cgroup_group_v2_dir(g, v2_dir);
                else if (b == CGROUP_BACKEND_V1)
                        dir = cgroup_group_v1_dir(g, c, v1_dir);
                else {
                        /* the check refused a set value already */
                        assert(v == 0);
                        continue;
                }

                n = controller_writes(c, b, v != 0 ? v : controller_default(c), w);
                r = write_existing(dir, w, n, v != 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

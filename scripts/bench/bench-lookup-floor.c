/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "bench-lookup-floor.h"

#define FLOOR_SEED UINT64_C(0x5eed)

typedef struct pid_cell {
        uint64_t hash; /* 0: empty (an id hashing to 0 is stored as 1) */
        char id[LOOKUP_FLOOR_ID_MAX + 1];
        pid_t pid;
} pid_cell;

typedef struct record_cell {
        alignas(64) uint64_t hash;
        char id[LOOKUP_FLOOR_ID_MAX + 1];
        ph_instance instance;
        ph_child_info info;
} record_cell;

_Static_assert(sizeof(pid_cell) == 32, "a pid cell is half a cache line");
_Static_assert(sizeof(record_cell) == 256, "a record cell is four cache lines");

struct lookup_floor {
        size_t mask;
        pid_cell *pids;
        record_cell *records;
};

static uint64_t floor_hash(const char *id) {
        uint64_t h = XXH3_64bits_withSeed(id, strlen(id), FLOOR_SEED);

        return h ?: 1;
}

int lookup_floor_new(const char *const *ids, const pid_t *pids, size_t n, const ph_child_spec *spec,
                     lookup_floor **ret) {
        size_t n_cells = 16;
        lookup_floor *f;

        if (!ids || !pids || !spec || !ret)
                return -EINVAL;
        while (n_cells * 3 / 4 < n)
                n_cells *= 2;
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->mask = n_cells - 1;
        f->pids = calloc(n_cells, sizeof(pid_cell));
        f->records = aligned_alloc(alignof(record_cell), n_cells * sizeof(record_cell));
        if (!f->pids || !f->records) {
                lookup_floor_free(f);
                return -ENOMEM;
        }
        memset(f->records, 0, n_cells * sizeof(record_cell));

        for (size_t k = 0; k < n; k++) {
                uint64_t h = floor_hash(ids[k]);
                size_t i;

                if (strlen(ids[k]) > LOOKUP_FLOOR_ID_MAX) {
                        lookup_floor_free(f);
                        return -ENAMETOOLONG;
                }
                for (i = h & f->mask; f->pids[i].hash != 0; i = (i + 1) & f->mask)
                        ;
                f->pids[i].hash = h;
                strcpy(f->pids[i].id, ids[k]);
                f->pids[i].pid = pids[k];

                for (i = h & f->mask; f->records[i].hash != 0; i = (i + 1) & f->mask)
                        ;
                record_cell *r = &f->records[i];
                r->hash = h;
                strcpy(r->id, ids[k]);
                r->instance = (ph_instance) { .node = "node-b", .pid = pids[k] };
                r->info = (ph_child_info) { .spec = *spec, .n_instances = 1 };
                r->info.spec.id = r->id;
        }
        *ret = f;
        return 0;
}

int lookup_floor_pid(const lookup_floor *f, const char *id, pid_t *ret_pid) {
        uint64_t h = floor_hash(id);

        for (size_t i = h & f->mask;; i = (i + 1) & f->mask) {
                const pid_cell *c = &f->pids[i];

                if (c->hash == 0)
                        return -ENOENT;
                if (c->hash == h && strcmp(c->id, id) == 0) {
                        *ret_pid = c->pid;
                        return 0;
                }
        }
}

int lookup_floor_record(const lookup_floor *f, const char *id, ph_child_info *ret_info) {
        uint64_t h = floor_hash(id);

        for (size_t i = h & f->mask;; i = (i + 1) & f->mask) {
                const record_cell *c = &f->records[i];

                if (c->hash == 0)
                        return -ENOENT;
                if (c->hash == h && strcmp(c->id, id) == 0) {
                        *ret_info = c->info;
                        ret_info->instances = &c->instance;
                        return 0;
                }
        }
}

lookup_floor *lookup_floor_free(lookup_floor *f) {
        if (f) {
                free(f->pids);
                free(f->records);
                free(f);
        }
        return NULL;
}

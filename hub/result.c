/* SPDX-License-Identifier: MIT */

/* Results: the builder used by operations and the public accessors.
 *
 * Each child (and each error) is one allocation holding its instances and
 * all its strings, so that a start of 10,000 children costs 10,000
 * allocations plus the doubling arrays, and a copy no more. */

#include <stdint.h>
#include <string.h>

#include "result.h"

typedef struct result_child {
        ph_result_child child; /* points into storage */
        void *storage;
} result_child;

typedef struct result_error {
        ph_result_error error; /* points into storage */
        void *storage;
} result_error;

struct ph_result {
        ph_result_kind kind;
        bool rollback;

        result_child *children;
        size_t n_children, n_children_allocated;

        result_error *errors;
        size_t n_errors, n_errors_allocated;
};

/* Room for need elements of size bytes in array, doubling: the new array
 * (the old one when there was room), or NULL when out of memory (the old
 * one is left as it was). */
static void *array_grow(void *array, size_t *allocated, size_t need, size_t size) {
        size_t a = *allocated;
        void *p;

        if (need <= a)
                return array;
        a = a > SIZE_MAX / 2 ? SIZE_MAX : a * 2;
        if (a < need)
                a = need;
        if (a < 8)
                a = 8;
        if (a > SIZE_MAX / size)
                return NULL;
        p = realloc(array, a * size);
        if (!p)
                return NULL;
        *allocated = a;
        return p;
}

static int size_add(size_t *size, size_t add) {
        return __builtin_add_overflow(*size, add, size) ? -ENOMEM : 0;
}

int result_new(ph_result_kind kind, ph_result **ret) {
        ph_result *r;

        assert_return(kind >= 0 && kind < _PH_RESULT_KIND_MAX, -EINVAL);
        assert_return(ret, -EINVAL);

        r = calloc(1, sizeof(ph_result));
        if (!r)
                return -ENOMEM;
        r->kind = kind;
        *ret = r;
        return 0;
}

_public_ ph_result *ph_result_free(ph_result *result) {
        if (!result)
                return NULL;
        for (size_t i = 0; i < result->n_children; i++)
                free(result->children[i].storage);
        free(result->children);
        for (size_t i = 0; i < result->n_errors; i++)
                free(result->errors[i].storage);
        free(result->errors);
        free(result);
        return NULL;
}

/* One block: the instances, then the id, then the nodes. */
static int result_child_build(const char *id, const ph_instance *instances, size_t n, result_child *ret) {
        size_t size, id_size = strlen(id) + 1;
        ph_instance *copies;
        char *block, *p;

        if (__builtin_mul_overflow(n, sizeof(ph_instance), &size) || size_add(&size, id_size) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (instances[i].node && size_add(&size, strlen(instances[i].node) + 1) < 0)
                        return -ENOMEM;

        block = malloc(size);
        if (!block)
                return -ENOMEM;
        copies = (ph_instance *) (void *) block;
        p = block + n * sizeof(ph_instance);
        memcpy(p, id, id_size);
        *ret = (result_child) {
                .child = {
                        .id = p,
                        .instances = n > 0 ? copies : NULL,
                        .n_instances = n,
                },
                .storage = block,
        };
        p += id_size;
        for (size_t i = 0; i < n; i++) {
                copies[i] = (ph_instance) { .pid = instances[i].pid };
                if (instances[i].node) {
                        size_t node_size = strlen(instances[i].node) + 1;

                        copies[i].node = memcpy(p, instances[i].node, node_size);
                        p += node_size;
                }
        }
        return 0;
}

int result_add_child(ph_result *r, const char *id, const ph_instance *instances, size_t n) {
        result_child *children;
        int k;

        assert_return(r, -EINVAL);
        assert_return(id, -EINVAL);
        assert_return(instances || n == 0, -EINVAL);

        children = array_grow(r->children, &r->n_children_allocated, r->n_children + 1, sizeof(result_child));
        if (!children)
                return -ENOMEM;
        r->children = children;
        k = result_child_build(id, instances, n, &r->children[r->n_children]);
        if (k < 0)
                return k;
        r->n_children++;
        return 0;
}

/* One block: id, node, reason. */
static int result_error_build(const char *id, const char *node, const char *reason, result_error *ret) {
        size_t id_size = strlen(id) + 1, node_size = node ? strlen(node) + 1 : 0, reason_size = strlen(reason) + 1;
        size_t size = id_size;
        char *block;

        if (size_add(&size, node_size) < 0 || size_add(&size, reason_size) < 0)
                return -ENOMEM;
        block = malloc(size);
        if (!block)
                return -ENOMEM;
        *ret = (result_error) {
                .error = {
                        .id = memcpy(block, id, id_size),
                        .node = node ? memcpy(block + id_size, node, node_size) : NULL,
                        .reason = memcpy(block + id_size + node_size, reason, reason_size),
                },
                .storage = block,
        };
        return 0;
}

int result_add_error(ph_result *r, const char *id, const char *node, const char *reason) {
        result_error *errors;
        int k;

        assert_return(r, -EINVAL);
        assert_return(id, -EINVAL);
        assert_return(reason, -EINVAL);

        errors = array_grow(r->errors, &r->n_errors_allocated, r->n_errors + 1, sizeof(result_error));
        if (!errors)
                return -ENOMEM;
        r->errors = errors;
        k = result_error_build(id, node, reason, &r->errors[r->n_errors]);
        if (k < 0)
                return k;
        r->n_errors++;
        return 0;
}

void result_set_rollback(ph_result *r, bool rollback) {
        if (r)
                r->rollback = rollback;
}

int result_remove_child(ph_result *r, const char *id) {
        size_t kept = 0;

        assert_return(r, -EINVAL);
        assert_return(id, -EINVAL);

        for (size_t i = 0; i < r->n_children; i++) {
                if (strcmp(r->children[i].child.id, id) == 0) {
                        free(r->children[i].storage);
                        continue;
                }
                r->children[kept++] = r->children[i];
        }
        if (kept == r->n_children)
                return -ENOENT;
        r->n_children = kept;
        return 0;
}

int result_copy(const ph_result *r, ph_result **ret) {
        _cleanup_(ph_result_freep) ph_result *c = NULL;
        int k;

        assert_return(r, -EINVAL);
        assert_return(ret, -EINVAL);

        k = result_new(r->kind, &c);
        if (k < 0)
                return k;
        c->rollback = r->rollback;

        if (r->n_children > 0) {
                c->children = array_grow(NULL, &c->n_children_allocated, r->n_children, sizeof(result_child));
                if (!c->children)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < r->n_children; i++) {
                const ph_result_child *child = &r->children[i].child;

                k = result_add_child(c, child->id, child->instances, child->n_instances);
                if (k < 0)
                        return k;
        }

        if (r->n_errors > 0) {
                c->errors = array_grow(NULL, &c->n_errors_allocated, r->n_errors, sizeof(result_error));
                if (!c->errors)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < r->n_errors; i++) {
                const ph_result_error *e = &r->errors[i].error;

                k = result_add_error(c, e->id, e->node, e->reason);
                if (k < 0)
                        return k;
        }

        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- The public accessors ---- */

_public_ ph_result_kind ph_result_kind_of(const ph_result *result) {
        return result ? result->kind : _PH_RESULT_KIND_INVALID;
}

_public_ ph_status ph_result_status(const ph_result *result) {
        if (!result)
                return _PH_STATUS_INVALID;
        return result->n_errors == 0 ? PH_STATUS_OK : PH_STATUS_ERROR;
}

_public_ size_t ph_result_n_children(const ph_result *result) {
        return result ? result->n_children : 0;
}

_public_ const ph_result_child *ph_result_child_at(const ph_result *result, size_t i) {
        if (!result || i >= result->n_children)
                return NULL;
        return &result->children[i].child;
}

_public_ size_t ph_result_n_errors(const ph_result *result) {
        return result ? result->n_errors : 0;
}

_public_ const ph_result_error *ph_result_error_at(const ph_result *result, size_t i) {
        if (!result || i >= result->n_errors)
                return NULL;
        return &result->errors[i].error;
}

_public_ bool ph_result_rollback(const ph_result *result) {
        return result && result->rollback;
}

_public_ size_t ph_result_pids(const ph_result *result, pid_t *pids, size_t n) {
        size_t total = 0;

        if (!result)
                return 0;
        if (!pids)
                n = 0;
        for (size_t i = 0; i < result->n_children; i++) {
                const ph_result_child *c = &result->children[i].child;

                for (size_t k = 0; k < c->n_instances; k++) {
                        if (c->instances[k].pid <= 0)
                                continue;
                        if (total < n)
                                pids[total] = c->instances[k].pid;
                        total++;
                }
        }
        return total;
}

_public_ pid_t ph_result_first_pid(const ph_result *result) {
        if (!result)
                return 0;
        for (size_t i = 0; i < result->n_children; i++) {
                const ph_result_child *c = &result->children[i].child;

                for (size_t k = 0; k < c->n_instances; k++)
                        if (c->instances[k].pid > 0)
                                return c->instances[k].pid;
        }
        return 0;
}

static bool strings_contain(const char *const *strings, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(strings[i], s) == 0)
                        return true;
        return false;
}

/* Whether an instance before instance k of child i is on node: the slow
 * check, for when the list of nodes seen cannot grow (out of memory). */
static bool node_seen_before(const ph_result *result, size_t i, size_t k, const char *node) {
        for (size_t j = 0; j <= i; j++) {
                const ph_result_child *c = &result->children[j].child;
                size_t end = j == i ? k : c->n_instances;

                for (size_t l = 0; l < end; l++)
                        if (c->instances[l].node && strcmp(c->instances[l].node, node) == 0)
                                return true;
        }
        return false;
}

_public_ size_t ph_result_nodes(const ph_result *result, const char **nodes, size_t n) {
        _cleanup_free_ const char **seen = NULL;
        size_t n_seen = 0, n_seen_allocated = 0, total = 0;
        bool low_memory = false;

        if (!result)
                return 0;
        if (!nodes)
                n = 0;
        /* Nodes are few (the hosts of a cluster): a list of those seen is enough. */
        for (size_t i = 0; i < result->n_children; i++) {
                const ph_result_child *c = &result->children[i].child;

                for (size_t k = 0; k < c->n_instances; k++) {
                        const char *node = c->instances[k].node;

                        if (!node)
                                continue;
                        if (low_memory ? node_seen_before(result, i, k, node) : strings_contain(seen, n_seen, node))
                                continue;
                        if (!low_memory) {
                                const char **s = array_grow(seen, &n_seen_allocated, n_seen + 1, sizeof(char *));

                                if (s) {
                                        seen = s;
                                        seen[n_seen++] = node;
                                } else
                                        low_memory = true;
                        }
                        if (total < n)
                                nodes[total] = node;
                        total++;
                }
        }
        return total;
}

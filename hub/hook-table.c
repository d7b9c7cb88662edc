/* SPDX-License-Identifier: MIT */

/* Hook handlers per key as copy-on-write snapshots: a published hook_list
 * is never changed, so a dispatch needs the mutex only to take its
 * reference. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "hook-table.h"
#include "log.h"

typedef struct hook_entry {
        char *id;
        ph_hook_fn fn;
        void *userdata;
        int priority;
        uint64_t seq; /* registration order, for equal priorities */
} hook_entry;

typedef struct hook_list {
        atomic_uint n_ref;
        size_t n;
        hook_entry entries[];
} hook_list;

struct hook_table {
        pthread_mutex_t lock;
        /* Written under lock; read without it by hook_table_has_handlers()
         * (never dereferenced there). NULL: no handler. */
        _Atomic(hook_list *) lists[_PH_HOOK_KEY_MAX];
        uint64_t next_seq; /* under lock */
};

static bool hook_key_valid(ph_hook_key key) {
        return key >= 0 && key < _PH_HOOK_KEY_MAX;
}

static hook_list *hook_list_alloc(size_t n) {
        hook_list *l;

        if (n > (SIZE_MAX - sizeof(hook_list)) / sizeof(hook_entry))
                return NULL;
        l = calloc(1, sizeof(hook_list) + n * sizeof(hook_entry));
        if (!l)
                return NULL;
        atomic_init(&l->n_ref, 1);
        return l;
}

static hook_list *hook_list_unref(hook_list *l) {
        if (!l)
                return NULL;
        if (atomic_fetch_sub(&l->n_ref, 1) != 1)
                return NULL;
        for (size_t i = 0; i < l->n; i++)
                free(l->entries[i].id);
        free(l);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(hook_list *, hook_list_unref);

/* Append a copy of e to l (allocated large enough). */
static int hook_list_append(hook_list *l, const hook_entry *e) {
        char *id = strdup(e->id);

        if (!id)
                return -ENOMEM;
        l->entries[l->n] = *e;
        l->entries[l->n].id = id;
        l->n++;
        return 0;
}

static int hook_entry_compare(const void *a, const void *b) {
        const hook_entry *x = a, *y = b;

        if (x->priority != y->priority)
                return x->priority > y->priority ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool hook_list_contains(const hook_list *l, const char *id) {
        if (!l)
                return false;
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->entries[i].id, id) == 0)
                        return true;
        return false;
}

int hook_table_new(hook_table **ret) {
        hook_table *t;
        int r;

        assert_return(ret, -EINVAL);

        t = calloc(1, sizeof(hook_table));
        if (!t)
                return -ENOMEM;
        r = -pthread_mutex_init(&t->lock, NULL);
        if (r < 0) {
                free(t);
                return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(t->lists); i++)
                atomic_init(&t->lists[i], NULL);
        *ret = t;
        return 0;
}

hook_table *hook_table_free(hook_table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(t->lists); i++)
                hook_list_unref(atomic_load(&t->lists[i]));
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
}

/* The new snapshot for key with handlers added; *ret_replaced is the one
 * it replaced, for the caller to drop after unlocking. */
static int hook_table_register_locked(hook_table *t, ph_hook_key key, const ph_hook_handler *handlers, size_t n,
                                      hook_list **ret_replaced) {
        _cleanup_(hook_list_unrefp) hook_list *l = NULL;
        hook_list *old = atomic_load(&t->lists[key]);
        int r;

        for (size_t i = 0; i < n; i++)
                if (hook_list_contains(old, handlers[i].id))
                        return -EEXIST;

        l = hook_list_alloc((old ? old->n : 0) + n);
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; old && i < old->n; i++) {
                r = hook_list_append(l, &old->entries[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n; i++) {
                r = hook_list_append(l, &(hook_entry) {
                        .id = (char *) handlers[i].id,
                        .fn = handlers[i].fn,
                        .userdata = handlers[i].userdata,
                        .priority = handlers[i].priority,
                        .seq = t->next_seq + i,
                });
                if (r < 0)
                        return r;
        }
        t->next_seq += n;
        /* Handler lists are short: sorting the whole snapshot is fine. */
        qsort(l->entries, l->n, sizeof(hook_entry), hook_entry_compare);
        *ret_replaced = atomic_exchange(&t->lists[key], TAKE_PTR(l));
        return 0;
}

int hook_table_register(hook_table *t, ph_hook_key key, const ph_hook_handler *handlers, size_t n) {
        hook_list *replaced = NULL;
        int r;

        assert_return(t, -EINVAL);
        assert_return(hook_key_valid(key), -EINVAL);
        assert_return(handlers, -EINVAL);
        assert_return(n > 0, -EINVAL);
        for (size_t i = 0; i < n; i++) {
                assert_return(handlers[i].id && handlers[i].id[0], -EINVAL);
                assert_return(handlers[i].fn, -EINVAL);
        }
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        if (strcmp(handlers[i].id, handlers[j].id) == 0)
                                return -EEXIST;

        pthread_mutex_lock(&t->lock);
        r = hook_table_register_locked(t, key, handlers, n, &replaced);
        pthread_mutex_unlock(&t->lock);
        /* Dropped outside the lock: the free need not hold up other threads;
         * a dispatch still using that snapshot holds its own reference. */
        hook_list_unref(replaced);
        return r;
}

static bool ids_contain(const char *const *ids, size_t n, const char *id) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(ids[i], id) == 0)
                        return true;
        return false;
}

/* Returns whether an id was unknown; *ret_replaced as above (NULL when
 * nothing was removed). */
static int hook_table_cancel_locked(hook_table *t, ph_hook_key key, const char *const *ids, size_t n,
                                    hook_list **ret_replaced) {
        _cleanup_(hook_list_unrefp) hook_list *l = NULL;
        hook_list *old = atomic_load(&t->lists[key]);
        bool unknown = false;
        size_t n_keep = 0;
        int r;

        for (size_t i = 0; i < n; i++)
                if (!hook_list_contains(old, ids[i]))
                        unknown = true;
        for (size_t i = 0; old && i < old->n; i++)
                if (!ids_contain(ids, n, old->entries[i].id))
                        n_keep++;
        if (!old || n_keep == old->n)
                return unknown;

        if (n_keep > 0) {
                l = hook_list_alloc(n_keep);
                if (!l)
                        return -ENOMEM;
                for (size_t i = 0; i < old->n; i++) {
                        if (ids_contain(ids, n, old->entries[i].id))
                                continue;
                        r = hook_list_append(l, &old->entries[i]);
                        if (r < 0)
                                return r;
                }
        }
        /* The order is kept: the remaining entries stay sorted. */
        *ret_replaced = atomic_exchange(&t->lists[key], TAKE_PTR(l));
        return unknown;
}

int hook_table_cancel(hook_table *t, ph_hook_key key, const char *const *ids, size_t n) {
        hook_list *replaced = NULL;
        int r;

        assert_return(t, -EINVAL);
        assert_return(hook_key_valid(key), -EINVAL);
        assert_return(ids, -EINVAL);
        assert_return(n > 0, -EINVAL);
        for (size_t i = 0; i < n; i++)
                assert_return(ids[i] && ids[i][0], -EINVAL);

        pthread_mutex_lock(&t->lock);
        r = hook_table_cancel_locked(t, key, ids, n, &replaced);
        pthread_mutex_unlock(&t->lock);
        hook_list_unref(replaced);
        if (r < 0)
                return r;
        return r > 0 ? -ENOENT : 0;
}

bool hook_table_has_handlers(hook_table *t, ph_hook_key key) {
        if (!t || !hook_key_valid(key))
                return false;
        return atomic_load_explicit(&t->lists[key], memory_order_relaxed) != NULL;
}

int hook_table_dispatch(hook_table *t, ph_hub *hub, const ph_hook_event *event) {
        _cleanup_(hook_list_unrefp) hook_list *l = NULL;

        assert_return(t, -EINVAL);
        assert_return(event, -EINVAL);
        assert_return(hook_key_valid(event->key), -EINVAL);

        pthread_mutex_lock(&t->lock);
        l = atomic_load(&t->lists[event->key]);
        if (l)
                atomic_fetch_add(&l->n_ref, 1);
        pthread_mutex_unlock(&t->lock);
        if (!l)
                return 0;

        for (size_t i = 0; i < l->n; i++) {
                const hook_entry *e = &l->entries[i];
                int r = e->fn(hub, event, e->userdata);

                if (r >= 0)
                        continue;
                log_debug("hook %s: handler %s failed: %d", ph_hook_key_to_string(event->key), e->id, r);
                if (event->key == PH_HOOK_CHILD_DATA_ALTER)
                        return r;
        }
        return 0;
}

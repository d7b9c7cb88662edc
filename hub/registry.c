/* SPDX-License-Identifier: MIT */

/* The registry itself and its readers. Point readers (a lookup, a pid, a
 * membership test) take no lock: they probe the index inside an RCU
 * read-side section (registry-index.c). A listing takes the read lock,
 * which excludes the writer's commits, once, and copies one pointer per
 * entry, its array allocated beforehand. The lock prefers writers: a
 * stream of overlapping listings cannot starve the event-loop thread, at
 * the price of a listing arriving while a writer waits for another one
 * queueing behind both. */

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <utlist.h>

#include "registry-internal.h"

/* Room for the entries created between sizing a listing's array and
 * taking the lock, so that the writer rarely makes a listing start over. */
#define LIST_SLACK 64u

int registry_new(registry **ret) {
        registry *r;
        pthread_rwlockattr_t attr;
        int k;

        assert_return(ret, -EINVAL);

        /* Aligned for the cache line of the writer's fields. */
        r = aligned_alloc(_Alignof(registry), sizeof(registry));
        if (!r)
                return -ENOMEM;
        *r = (registry) {};
        k = pthread_rwlockattr_init(&attr);
        if (k != 0) {
                free(r);
                return -k;
        }
        k = pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        if (k == 0)
                k = pthread_rwlock_init(&r->lock, &attr);
        (void) pthread_rwlockattr_destroy(&attr);
        if (k != 0) {
                free(r);
                return -k;
        }
        k = registry_index_init(r);
        if (k < 0) {
                (void) pthread_rwlock_destroy(&r->lock);
                free(r);
                return k;
        }
        registry_reclaim_init();

        *ret = r;
        return 0;
}

registry *registry_free(registry *r) {
        registry_slot *s, *tmp;

        if (!r)
                return NULL;

        /* No reader is left: the registry's references go now. */
        DL_FOREACH_SAFE2(r->slots, s, tmp, next) {
                registry_tag_free(registry_tag_detach(r, s));
                DL_DELETE2(r->slots, s, prev, next);
                registry_entry_unref(s->entry);
                free(s);
        }
        assert(!r->tags);
        registry_index_done(r);
        (void) pthread_rwlock_destroy(&r->lock);
        free(r);
        /* What earlier writes retired is released before this returns:
         * memory use after a registry is gone is what its users hold. */
        registry_reclaim_barrier();
        return NULL;
}

registry_entry *registry_lookup(registry *r, const char *id) {
        registry_entry *e;
        uint64_t hash;

        assert_return(r, NULL);
        assert_return(id, NULL);

        hash = registry_hash(r, id);
        urcu_bp_read_lock();
        /* The registry's reference lasts a grace period past the entry's
         * removal from the index: a plain increment is enough. */
        e = registry_entry_ref(registry_index_find(r, id, hash));
        urcu_bp_read_unlock();
        return e;
}

int registry_lookup_pid(registry *r, const char *id, pid_t *ret_pid) {
        registry_entry *e;
        pid_t pid = 0;
        uint64_t hash;

        assert_return(r, -EINVAL);
        assert_return(id, -EINVAL);
        assert_return(ret_pid, -EINVAL);

        hash = registry_hash(r, id);
        urcu_bp_read_lock();
        e = registry_index_find(r, id, hash);
        if (e && e->n_instances > 0)
                pid = e->instances[0].pid;
        urcu_bp_read_unlock();
        if (!e)
                return -ENOENT;
        if (pid == 0)
                return -ESRCH;
        *ret_pid = pid;
        return 0;
}

bool registry_contains(registry *r, const char *id) {
        uint64_t hash;
        bool found;

        assert_return(r, false);
        assert_return(id, false);

        hash = registry_hash(r, id);
        urcu_bp_read_lock();
        found = registry_index_find(r, id, hash);
        urcu_bp_read_unlock();
        return found;
}

size_t registry_size(registry *r) {
        assert_return(r, 0);

        return __atomic_load_n(&r->n_entries, __ATOMIC_RELAXED);
}

static int grow(registry_entry ***entries, size_t *cap, size_t want) {
        registry_entry **grown;

        if (want > SIZE_MAX / sizeof(**entries) - LIST_SLACK)
                return -ENOMEM;
        grown = realloc(*entries, (want + LIST_SLACK) * sizeof(**entries));
        if (!grown)
                return -ENOMEM;
        *entries = grown;
        *cap = want + LIST_SLACK;
        return 0;
}

static int hand_over(registry_entry ***entries, size_t n, registry_entry ***ret_entries, size_t *ret_n) {
        if (n == 0) {
                free(*entries);
                *entries = NULL;
        }
        *ret_entries = TAKE_PTR(*entries);
        *ret_n = n;
        return n > INT_MAX ? INT_MAX : (int) n;
}

int registry_list(registry *r, registry_entry ***ret_entries, size_t *ret_n) {
        _cleanup_free_ registry_entry **entries = NULL;
        size_t cap = 0, n;
        int k;

        assert_return(r, -EINVAL);
        assert_return(ret_entries, -EINVAL);
        assert_return(ret_n, -EINVAL);

        k = grow(&entries, &cap, __atomic_load_n(&r->n_entries, __ATOMIC_RELAXED));
        if (k < 0)
                return k;
        for (;;) {
                registry_read_lock(r);
                n = r->n_entries;
                if (n <= cap)
                        break;
                registry_unlock(r);
                k = grow(&entries, &cap, n);
                if (k < 0)
                        return k;
        }
        n = 0;
        for (registry_slot *s = r->slots; s; s = s->next)
                entries[n++] = registry_entry_ref(s->entry);
        registry_unlock(r);

        return hand_over(&entries, n, ret_entries, ret_n);
}

int registry_tag_query(registry *r, const char *tag, registry_entry ***ret_entries, size_t *ret_n) {
        _cleanup_free_ registry_entry **entries = NULL;
        registry_tag *t;
        size_t cap = 0, n;
        int k;

        assert_return(r, -EINVAL);
        assert_return(tag, -EINVAL);
        assert_return(ret_entries, -EINVAL);
        assert_return(ret_n, -EINVAL);

        /* The group's size is known only under the lock: the first round
         * usually just learns it. */
        for (;;) {
                registry_read_lock(r);
                t = registry_tag_find(r, tag);
                n = t ? t->n_members : 0;
                if (n <= cap)
                        break;
                registry_unlock(r);
                k = grow(&entries, &cap, n);
                if (k < 0)
                        return k;
        }
        n = 0;
        if (t)
                for (registry_tagged_slot *m = t->members; m; m = m->tag_next)
                        entries[n++] = registry_entry_ref(m->slot.entry);
        registry_unlock(r);

        return hand_over(&entries, n, ret_entries, ret_n);
}

int registry_find_existing(registry *r, char *const *ids, size_t n, char ***ret_present) {
        _cleanup_strv_free_ char **present = NULL;
        size_t n_present = 0;

        assert_return(r, -EINVAL);
        assert_return(ids || n == 0, -EINVAL);
        assert_return(n <= INT_MAX, -EINVAL);
        for (size_t i = 0; i < n; i++)
                assert_return(ids[i], -EINVAL);

        if (ret_present) {
                present = calloc(n + 1, sizeof(char *));
                if (!present)
                        return -ENOMEM;
        }

        for (size_t i = 0; i < n; i++) {
                if (!registry_contains(r, ids[i]))
                        continue;
                if (present) {
                        present[n_present] = strdup(ids[i]);
                        if (!present[n_present])
                                return -ENOMEM;
                }
                n_present++;
        }

        if (ret_present) {
                char **shrunk = realloc(present, (n_present + 1) * sizeof(char *));

                if (shrunk)
                        present = shrunk;
                *ret_present = TAKE_PTR(present);
        }
        return (int) n_present;
}

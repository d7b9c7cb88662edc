/* SPDX-License-Identifier: MIT */

/* The registry itself and its readers. Readers take the read lock for a
 * hash lookup and a reference-count increment; a listing takes it once and
 * copies one pointer per entry, its array allocated beforehand. The lock
 * prefers writers: a stream of overlapping listings cannot starve the
 * event-loop thread, at the price of a reader arriving while a writer waits
 * for a listing to end queueing behind both. */

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "registry-internal.h"

/* Room for the entries created between sizing a listing's array and
 * taking the lock, so that the writer rarely makes a listing start over. */
#define LIST_SLACK 64u

int registry_new(registry **ret) {
        _cleanup_free_ registry *r = NULL;
        pthread_rwlockattr_t attr;
        int k;

        assert_return(ret, -EINVAL);

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        k = pthread_rwlockattr_init(&attr);
        if (k != 0)
                return -k;
        k = pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        if (k == 0)
                k = pthread_rwlock_init(&r->lock, &attr);
        (void) pthread_rwlockattr_destroy(&attr);
        if (k != 0)
                return -k;

        *ret = TAKE_PTR(r);
        return 0;
}

registry *registry_free(registry *r) {
        registry_slot *s, *tmp;

        if (!r)
                return NULL;

        HASH_ITER(hh, r->slots, s, tmp) {
                registry_tag_free(registry_tag_detach(r, s));
                HASH_DEL(r->slots, s);
                registry_entry_unref(s->entry);
                free(s);
        }
        assert(!r->tags);
        (void) pthread_rwlock_destroy(&r->lock);
        free(r);
        return NULL;
}

registry_slot *registry_slot_find(registry *r, const char *id, size_t len, unsigned hashv) {
        registry_slot *s;

        HASH_FIND_BYHASHVALUE(hh, r->slots, id, len, hashv, s);
        return s;
}

registry_entry *registry_lookup(registry *r, const char *id) {
        registry_entry *e = NULL;
        registry_slot *s;
        unsigned hashv;
        size_t len;

        assert_return(r, NULL);
        assert_return(id, NULL);

        len = strlen(id);
        HASH_VALUE(id, len, hashv);

        registry_read_lock(r);
        s = registry_slot_find(r, id, len, hashv);
        if (s)
                e = registry_entry_ref(s->entry);
        registry_unlock(r);
        return e;
}

bool registry_contains(registry *r, const char *id) {
        unsigned hashv;
        size_t len;
        bool found;

        assert_return(r, false);
        assert_return(id, false);

        len = strlen(id);
        HASH_VALUE(id, len, hashv);

        registry_read_lock(r);
        found = registry_slot_find(r, id, len, hashv);
        registry_unlock(r);
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
        for (registry_slot *s = r->slots; s; s = s->hh.next)
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
                for (registry_slot *s = t->members; s; s = s->tag_next)
                        entries[n++] = registry_entry_ref(s->entry);
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

        /* One lock per id: a long list does not hold the writer off. */
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

void registry_get_hash_stats(registry *r, registry_hash_stats *ret) {
        registry_hash_stats st = {};

        assert(r);
        assert(ret);

        registry_read_lock(r);
        if (r->slots) {
                const UT_hash_table *tbl = r->slots->hh.tbl;

                st.n_items = tbl->num_items;
                st.n_buckets = tbl->num_buckets;
                st.noexpand = tbl->noexpand;
                for (unsigned i = 0; i < tbl->num_buckets; i++)
                        if (tbl->buckets[i].count > st.max_chain)
                                st.max_chain = tbl->buckets[i].count;
        }
        registry_unlock(r);
        *ret = st;
}

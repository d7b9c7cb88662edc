/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <string.h>
#include <uthash.h>

#include "macros.h"
#include "storage.h"

typedef struct storage_entry {
        char *key;
        char *value;
        uint64_t expires_usec;
        UT_hash_handle hh;
} storage_entry;

struct storage {
        pthread_mutex_t lock;
        storage_entry *entries;
};

static void storage_entry_free(storage_entry *e) {
        free(e->key);
        free(e->value);
        free(e);
}

static bool storage_entry_expired(const storage_entry *e, uint64_t now_usec) {
        return e->expires_usec != 0 && e->expires_usec <= now_usec;
}

int storage_new(storage **ret) {
        assert_return(ret, -EINVAL);

        storage *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        *ret = s;
        return 0;
}

storage *storage_free(storage *s) {
        storage_entry *e, *tmp;

        if (!s)
                return NULL;
        HASH_ITER(hh, s->entries, e, tmp) {
                HASH_DEL(s->entries, e);
                storage_entry_free(e);
        }
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
}

int storage_put(storage *s, const char *key, const char *value, uint64_t expires_usec) {
        storage_entry *e, *old;

        assert_return(s, -EINVAL);
        assert_return(key, -EINVAL);
        assert_return(value, -EINVAL);

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->key = strdup(key);
        e->value = strdup(value);
        e->expires_usec = expires_usec;
        if (!e->key || !e->value) {
                storage_entry_free(e);
                return -ENOMEM;
        }
        pthread_mutex_lock(&s->lock);
        HASH_FIND_STR(s->entries, key, old);
        if (old)
                HASH_DEL(s->entries, old);
        HASH_ADD_KEYPTR(hh, s->entries, e->key, strlen(e->key), e);
        pthread_mutex_unlock(&s->lock);
        if (old)
                storage_entry_free(old);
        return 0;
}

int storage_get(storage *s, const char *key, uint64_t now_usec, char **ret_value) {
        storage_entry *e;
        char *v = NULL;
        int r = -ENOENT;

        assert_return(s, -EINVAL);
        assert_return(key, -EINVAL);
        assert_return(ret_value, -EINVAL);

        pthread_mutex_lock(&s->lock);
        HASH_FIND_STR(s->entries, key, e);
        if (e && !storage_entry_expired(e, now_usec)) {
                v = strdup(e->value);
                r = v ? 0 : -ENOMEM;
        }
        pthread_mutex_unlock(&s->lock);
        if (r >= 0)
                *ret_value = v;
        return r;
}

int storage_remove(storage *s, const char *key) {
        storage_entry *e;

        assert_return(s, -EINVAL);
        assert_return(key, -EINVAL);

        pthread_mutex_lock(&s->lock);
        HASH_FIND_STR(s->entries, key, e);
        if (e)
                HASH_DEL(s->entries, e);
        pthread_mutex_unlock(&s->lock);
        if (!e)
                return -ENOENT;
        storage_entry_free(e);
        return 0;
}

size_t storage_purge(storage *s, uint64_t now_usec) {
        storage_entry *e, *tmp, *gone = NULL;
        size_t n = 0;

        if (!s)
                return 0;
        /* Unlink under the lock, free outside it. */
        pthread_mutex_lock(&s->lock);
        HASH_ITER(hh, s->entries, e, tmp)
                if (storage_entry_expired(e, now_usec)) {
                        HASH_DEL(s->entries, e);
                        e->hh.next = gone;
                        gone = e;
                        n++;
                }
        pthread_mutex_unlock(&s->lock);
        while (gone) {
                e = gone;
                gone = e->hh.next;
                storage_entry_free(e);
        }
        return n;
}

size_t storage_size(storage *s) {
        size_t n;

        if (!s)
                return 0;
        pthread_mutex_lock(&s->lock);
        n = HASH_COUNT(s->entries);
        pthread_mutex_unlock(&s->lock);
        return n;
}

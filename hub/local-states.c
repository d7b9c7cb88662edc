/* SPDX-License-Identifier: MIT */
/* The records are found by id through a ptr_table: a pointer per record
 * in slots a quarter to three quarters used, where an intrusive hash
 * handle cost 56 bytes a record and its buckets more. The table has no
 * order of its own, and copies promise the order children were first seen:
 * each record carries its creation number and a copy is sorted by it.
 * Copies are rare (a listing, a status with failures to report) and sort
 * after the mutex is released; the loop thread's writes, at every start,
 * exit and restart, pay only for a counter. An ordered list instead would
 * cost two links a record. The table is meant for one thread: here every
 * access holds the mutex. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "local-states.h"
#include "macros.h"
#include "ptr-table.h"

/* One allocation a child: the id follows the record. */
typedef struct local_state {
        const char *state; /* static strings of child_state_to_string() */
        /* The last exit's description and the failure in one block,
         * "LAST_EXIT\0FAILURE\0" with "" for none, NULL for neither: one
         * pointer, not two, makes the record 32 bytes and the id, up to 8
         * bytes, fits a malloc chunk of 48, not 64. */
        char *texts;
        uint64_t created; /* local_states.n_created when it was added: the order of a copy */
        pid_t pid;
        unsigned restarts;
        char id[];
} local_state;

struct local_states {
        pthread_mutex_t lock;
        ptr_table states; /* by id */
        uint64_t n_created; /* 64 bits: never wraps, so creation numbers always sort */
        size_t n_failed;   /* states whose state is "failed" */
};

static bool state_is_failed(const local_state *s) {
        return s->state && strcmp(s->state, "failed") == 0;
}

static void local_state_free(local_state *s) {
        free(s->texts);
        free(s);
}

static uint64_t local_state_hash(const void *item) {
        return ptr_table_hash_string(((const local_state *) item)->id);
}

static bool local_state_has_id(const void *item, const void *id) {
        return strcmp(((const local_state *) item)->id, id) == 0;
}

static local_state *find(local_states *t, const char *id) {
        return ptr_table_find(&t->states, ptr_table_hash_string(id), local_state_has_id, id);
}

int local_states_new(local_states **ret) {
        assert_return(ret, -EINVAL);

        local_states *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        pthread_mutex_init(&t->lock, NULL);
        *ret = t;
        return 0;
}

local_states *local_states_free(local_states *t) {
        local_state *s;

        if (!t)
                return NULL;
        PTR_TABLE_FOREACH(&t->states, i, s)
                local_state_free(s);
        ptr_table_done(&t->states);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
}

static const char *last_exit_of(const local_state *s) {
        return s->texts && s->texts[0] ? s->texts : NULL;
}

static const char *failure_of(const local_state *s) {
        const char *f = s->texts ? s->texts + strlen(s->texts) + 1 : NULL;

        return f && f[0] ? f : NULL;
}

/* Set the texts: NULL keeps one, "" clears it. */
static int set_texts(local_state *s, const char *last_exit, const char *failure) {
        size_t l, f;
        char *texts;

        if (!last_exit && !failure)
                return 0;
        last_exit = last_exit ?: last_exit_of(s) ?: "";
        failure = failure ?: failure_of(s) ?: "";
        if (!last_exit[0] && !failure[0]) {
                s->texts = mfree(s->texts);
                return 0;
        }
        l = strlen(last_exit) + 1;
        f = strlen(failure) + 1;
        texts = malloc(l + f);
        if (!texts)
                return -ENOMEM;
        memcpy(texts, last_exit, l);
        memcpy(texts + l, failure, f);
        free(s->texts);
        s->texts = texts;
        return 0;
}

/* A new record for id, in the table: NULL without memory. */
static local_state *add(local_states *t, const char *id) {
        size_t l = strlen(id);
        local_state *s;

        s = calloc(1, sizeof(*s) + l + 1);
        if (!s)
                return NULL;
        memcpy(s->id, id, l + 1);
        if (ptr_table_add(&t->states, s, local_state_hash(s), local_state_hash) < 0) {
                free(s);
                return NULL;
        }
        s->created = t->n_created++;
        return s;
}

int local_states_set(local_states *t, const char *id, pid_t pid, const char *state, int restarts, const char *last_exit,
                     const char *failure) {
        local_state *s;
        int r = 0;

        assert_return(t, -EINVAL);
        assert_return(id, -EINVAL);

        pthread_mutex_lock(&t->lock);
        s = find(t, id) ?: add(t, id);
        if (!s) {
                r = -ENOMEM;
                goto finish;
        }
        s->pid = pid;
        if (state) {
                t->n_failed -= state_is_failed(s);
                s->state = state;
                t->n_failed += state_is_failed(s);
        }
        if (restarts >= 0)
                s->restarts = (unsigned) restarts;
        r = set_texts(s, last_exit, failure);
finish:
        pthread_mutex_unlock(&t->lock);
        return r;
}

void local_states_remove(local_states *t, const char *id) {
        local_state *s;

        if (!t || !id)
                return;
        pthread_mutex_lock(&t->lock);
        s = find(t, id);
        if (s) {
                (void) ptr_table_remove(&t->states, s, local_state_hash(s));
                t->n_failed -= state_is_failed(s);
        }
        pthread_mutex_unlock(&t->lock);
        if (s)
                local_state_free(s);
}

/* A copied state with the creation number it is sorted by. */
typedef struct numbered_state {
        uint64_t created;
        ph_child_state state;
} numbered_state;

static int numbered_state_compare(const void *a, const void *b) {
        uint64_t x = ((const numbered_state *) a)->created, y = ((const numbered_state *) b)->created;

        return (x > y) - (x < y);
}

static void numbered_states_free(numbered_state *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free((char *) l[i].state.id);
                free((char *) l[i].state.last_exit);
                free((char *) l[i].state.failure);
        }
        free(l);
}

int local_states_copy(local_states *t, ph_child_state **ret, size_t *ret_n) {
        _cleanup_free_ ph_child_state *sorted = NULL;
        numbered_state *l = NULL;
        local_state *s;
        size_t n = 0;
        int r = 0;

        assert_return(t, -EINVAL);
        assert_return(ret, -EINVAL);
        assert_return(ret_n, -EINVAL);

        pthread_mutex_lock(&t->lock);
        sorted = calloc(t->states.n_live ?: 1, sizeof(ph_child_state));
        l = calloc(t->states.n_live ?: 1, sizeof(numbered_state));
        if (!sorted || !l) {
                r = -ENOMEM;
                goto finish;
        }
        PTR_TABLE_FOREACH(&t->states, i, s) {
                numbered_state *c = &l[n++];

                *c = (numbered_state) {
                        .created = s->created,
                        .state = {
                                .id = strdup(s->id),
                                .pid = s->pid,
                                .state = s->state,
                                .restarts = s->restarts,
                                .last_exit = last_exit_of(s) ? strdup(last_exit_of(s)) : NULL,
                                .failure = failure_of(s) ? strdup(failure_of(s)) : NULL,
                        },
                };
                if (!c->state.id || (last_exit_of(s) && !c->state.last_exit) || (failure_of(s) && !c->state.failure)) {
                        r = -ENOMEM;
                        break;
                }
        }
finish:
        pthread_mutex_unlock(&t->lock);
        if (r < 0) {
                numbered_states_free(l, n);
                return r;
        }
        qsort(l, n, sizeof(numbered_state), numbered_state_compare);
        for (size_t i = 0; i < n; i++)
                sorted[i] = l[i].state; /* the strings move to sorted */
        free(l);
        *ret = TAKE_PTR(sorted);
        *ret_n = n;
        return 0;
}

size_t local_states_n_failed(local_states *t) {
        size_t n;

        if (!t)
                return 0;
        pthread_mutex_lock(&t->lock);
        n = t->n_failed;
        pthread_mutex_unlock(&t->lock);
        return n;
}

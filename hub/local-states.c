/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <uthash.h>

#include "local-states.h"
#include "macros.h"

/* One allocation a child: the id follows the record. */
typedef struct local_state {
        UT_hash_handle hh;
        const char *state; /* static strings of child_state_to_string() */
        char *last_exit;
        char *failure;
        pid_t pid;
        unsigned restarts;
        char id[];
} local_state;

struct local_states {
        pthread_mutex_t lock;
        local_state *states;
        size_t n_failed; /* states whose state is "failed" */
};

static bool state_is_failed(const local_state *s) {
        return s->state && strcmp(s->state, "failed") == 0;
}

static void local_state_free(local_state *s) {
        free(s->last_exit);
        free(s->failure);
        free(s);
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
        local_state *s, *tmp;

        if (!t)
                return NULL;
        HASH_ITER(hh, t->states, s, tmp) {
                HASH_DEL(t->states, s);
                local_state_free(s);
        }
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
}

/* Replace *field with a copy of value: NULL keeps it, "" clears it. */
static int replace(char **field, const char *value) {
        char *c;

        if (!value)
                return 0;
        if (!value[0]) {
                *field = mfree(*field);
                return 0;
        }
        c = strdup(value);
        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

int local_states_set(local_states *t, const char *id, pid_t pid, const char *state, int restarts, const char *last_exit,
                     const char *failure) {
        local_state *s;
        int r = 0;

        assert_return(t, -EINVAL);
        assert_return(id, -EINVAL);

        pthread_mutex_lock(&t->lock);
        HASH_FIND_STR(t->states, id, s);
        if (!s) {
                size_t l = strlen(id);
                s = calloc(1, sizeof(*s) + l + 1);
                if (!s) {
                        r = -ENOMEM;
                        goto finish;
                }
                memcpy(s->id, id, l + 1);
                HASH_ADD_KEYPTR(hh, t->states, s->id, strlen(s->id), s);
        }
        s->pid = pid;
        if (state) {
                t->n_failed -= state_is_failed(s);
                s->state = state;
                t->n_failed += state_is_failed(s);
        }
        if (restarts >= 0)
                s->restarts = (unsigned) restarts;
        r = replace(&s->last_exit, last_exit);
        if (r >= 0)
                r = replace(&s->failure, failure);
finish:
        pthread_mutex_unlock(&t->lock);
        return r;
}

void local_states_remove(local_states *t, const char *id) {
        local_state *s;

        if (!t || !id)
                return;
        pthread_mutex_lock(&t->lock);
        HASH_FIND_STR(t->states, id, s);
        if (s) {
                HASH_DEL(t->states, s);
                t->n_failed -= state_is_failed(s);
        }
        pthread_mutex_unlock(&t->lock);
        if (s)
                local_state_free(s);
}

int local_states_copy(local_states *t, ph_child_state **ret, size_t *ret_n) {
        ph_child_state *l;
        size_t n, i = 0;
        int r = 0;

        assert_return(t, -EINVAL);
        assert_return(ret, -EINVAL);
        assert_return(ret_n, -EINVAL);

        pthread_mutex_lock(&t->lock);
        n = HASH_COUNT(t->states);
        l = calloc(n ?: 1, sizeof(ph_child_state));
        if (!l) {
                r = -ENOMEM;
                goto finish;
        }
        for (local_state *s = t->states; s; s = s->hh.next, i++) {
                l[i] = (ph_child_state) {
                        .id = strdup(s->id),
                        .pid = s->pid,
                        .state = s->state,
                        .restarts = s->restarts,
                        .last_exit = s->last_exit ? strdup(s->last_exit) : NULL,
                        .failure = s->failure ? strdup(s->failure) : NULL,
                };
                if (!l[i].id || (s->last_exit && !l[i].last_exit) || (s->failure && !l[i].failure)) {
                        r = -ENOMEM;
                        i++;
                        break;
                }
        }
finish:
        pthread_mutex_unlock(&t->lock);
        if (r < 0) {
                ph_child_states_free(l, i);
                return r;
        }
        *ret = l;
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

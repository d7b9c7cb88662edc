/* SPDX-License-Identifier: MIT */

/* Running a piece of work on the hub's loop thread for a caller on another
 * thread, and waiting for its answer: how the API reaches the state that
 * only the loop thread touches (the supervisor, the coordinator). */

#include "hub-internal.h"
#include "macros.h"

typedef struct hub_call_state {
        ph_hub *hub;
        int (*func)(ph_hub *hub, void *userdata);
        void *userdata;
        int result;
        bool done;
        pthread_mutex_t lock;
        pthread_cond_t cond;
} hub_call_state;

static void hub_call_run(void *userdata) {
        hub_call_state *c = userdata;
        int r = c->func(c->hub, c->userdata);

        pthread_mutex_lock(&c->lock);
        c->result = r;
        c->done = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
}

int hub_call(ph_hub *hub, int (*func)(ph_hub *hub, void *userdata), void *userdata) {
        hub_call_state c = { .hub = hub, .func = func, .userdata = userdata };
        int r;

        assert(hub);
        assert(func);

        if (hub_on_loop_thread(hub))
                return func(hub, userdata);

        pthread_mutex_init(&c.lock, NULL);
        pthread_cond_init(&c.cond, NULL);

        pthread_mutex_lock(&hub->call_lock);
        if (!hub->accepting_calls)
                r = -ESHUTDOWN;
        else
                r = loop_post(hub->loop, hub_call_run, &c);
        pthread_mutex_unlock(&hub->call_lock);

        if (r >= 0) {
                /* Accepted calls always run: the loop thread runs what was
                 * posted before it stopped accepting (hub_thread()). */
                pthread_mutex_lock(&c.lock);
                while (!c.done)
                        pthread_cond_wait(&c.cond, &c.lock);
                r = c.result;
                pthread_mutex_unlock(&c.lock);
        }

        pthread_cond_destroy(&c.cond);
        pthread_mutex_destroy(&c.lock);
        return r;
}

void hub_calls_stop(ph_hub *hub) {
        pthread_mutex_lock(&hub->call_lock);
        hub->accepting_calls = false;
        pthread_mutex_unlock(&hub->call_lock);
}

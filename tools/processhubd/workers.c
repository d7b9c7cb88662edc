/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "daemon-log.h"
#include "workers.h"

typedef struct job {
        work_fn run, done;
        void *userdata;
        workers *owner;
        struct job *next;
} job;

struct workers {
        loop *loop;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        job *head, *tail;
        pthread_t *threads;
        unsigned n_threads, max_threads, n_idle;
        unsigned pending; /* loop thread only */
        bool quit;
};

static void job_done_on_loop(void *userdata) {
        job *j = userdata;

        /* Before done: it may look at what is pending (to exit). */
        j->owner->pending--;
        if (j->done)
                j->done(j->userdata);
        free(j);
}

static void *worker_main(void *userdata) {
        workers *w = userdata;
        sigset_t all;

        /* Signals are the daemon loop's (signalfd): never taken here. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);

        pthread_mutex_lock(&w->lock);
        for (;;) {
                while (!w->head && !w->quit) {
                        w->n_idle++;
                        pthread_cond_wait(&w->cond, &w->lock);
                        w->n_idle--;
                }
                if (!w->head)
                        break;
                job *j = w->head;
                w->head = j->next;
                if (!w->head)
                        w->tail = NULL;
                pthread_mutex_unlock(&w->lock);

                j->run(j->userdata);
                /* If the post cannot be queued (out of memory) the job's
                 * memory leaks rather than running done on this thread. */
                if (loop_post(w->loop, job_done_on_loop, j) < 0)
                        dlog_error(NULL, NULL, "cannot hand a finished job back to the loop");

                pthread_mutex_lock(&w->lock);
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

int workers_new(loop *l, unsigned max_threads, workers **ret) {
        workers *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        w->threads = calloc(max_threads, sizeof(pthread_t));
        if (!w->threads) {
                free(w);
                return -ENOMEM;
        }
        w->loop = l;
        w->max_threads = max_threads;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        *ret = w;
        return 0;
}

int workers_submit(workers *w, work_fn run, work_fn done, void *userdata) {
        int r = 0;

        job *j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        *j = (job) { .run = run, .done = done, .userdata = userdata, .owner = w };

        pthread_mutex_lock(&w->lock);
        if (w->quit) {
                pthread_mutex_unlock(&w->lock);
                free(j);
                return -ESHUTDOWN;
        }
        if (w->tail)
                w->tail->next = j;
        else
                w->head = j;
        w->tail = j;
        if (w->n_idle == 0 && w->n_threads < w->max_threads) {
                r = -pthread_create(&w->threads[w->n_threads], NULL, worker_main, w);
                if (r == 0)
                        w->n_threads++;
                else if (w->n_threads > 0)
                        r = 0; /* the running ones take it */
        }
        if (r < 0) {
                w->head = w->tail = NULL;
                pthread_mutex_unlock(&w->lock);
                free(j);
                return r;
        }
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        w->pending++;
        return 0;
}

unsigned workers_pending(const workers *w) {
        return w ? w->pending : 0;
}

workers *workers_free(workers *w) {
        if (!w)
                return NULL;
        pthread_mutex_lock(&w->lock);
        w->quit = true;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        for (unsigned i = 0; i < w->n_threads; i++)
                pthread_join(w->threads[i], NULL);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w->threads);
        free(w);
        return NULL;
}

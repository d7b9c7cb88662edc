/* SPDX-License-Identifier: MIT */
#pragma once

/* A small pool of threads for what would block the daemon's loop: awaiting
 * a ph_future, stopping a hub. A job runs on a worker, then its done
 * callback is posted to the loop (loop_post()), where replies are sent.
 * Threads are made on demand up to a maximum and stay for the next job. */

#include "loop.h"

typedef struct workers workers;
typedef void (*work_fn)(void *userdata);

int workers_new(loop *l, unsigned max_threads, workers **ret);
/* run(userdata) on a worker, then done(userdata) on the loop (done may be
 * NULL). -ENOMEM, or -ESHUTDOWN once workers_free() began. */
int workers_submit(workers *w, work_fn run, work_fn done, void *userdata);
/* Jobs submitted and not yet done (their done not run on the loop). */
unsigned workers_pending(const workers *w);
/* Waits for every queued job to run, joins the threads. The done calls
 * of the last jobs may still be queued on the loop: run it once more. */
workers *workers_free(workers *w);

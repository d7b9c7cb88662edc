/* SPDX-License-Identifier: MIT */

/* Releasing what point readers may still be looking at. A reader inside a
 * read-side section may hold a pointer it loaded from the index just
 * before the writer replaced it: an entry the registry no longer holds, a
 * table a rebuild replaced. The writer never waits for such readers (it is
 * the hub's event loop): it queues the release with call_rcu(), and
 * liburcu's reclaim thread runs it once every read-side section that began
 * before has ended. So a reader can take a reference to an entry it found
 * with a plain increment: the registry's own reference is still there. */

#include <signal.h>

#include "registry-internal.h"

void registry_reclaim_init(void) {
        sigset_t all, saved;

        /* The reclaim thread is created on first use and inherits the
         * creating thread's signal mask. A process-directed signal goes to
         * any thread that does not block it: one that the hub's loop
         * waits for on its signalfd (SIGCHLD, SIGTERM) must not land there
         * and take its default action. Creating it here, once, with every
         * signal blocked keeps it out of the way. */
        (void) sigfillset(&all);
        (void) pthread_sigmask(SIG_BLOCK, &all, &saved);
        (void) urcu_bp_get_default_call_rcu_data();
        (void) pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

static void entry_release(struct rcu_head *head) {
        registry_entry_impl *impl = caa_container_of(head, registry_entry_impl, rcu);

        registry_entry_unref(&impl->pub);
}

void registry_entry_retire(registry_entry *e) {
        if (!e)
                return;
        /* Overwrites impl->slot: an unpublished entry has no slot. */
        urcu_bp_call_rcu(&registry_entry_impl_of(e)->rcu, entry_release);
}

static void table_release(struct rcu_head *head) {
        free(caa_container_of(head, registry_table, rcu));
}

void registry_table_retire(registry_table *t) {
        if (t)
                urcu_bp_call_rcu(&t->rcu, table_release);
}

void registry_reclaim_barrier(void) {
        urcu_bp_barrier();
}

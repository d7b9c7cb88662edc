/* SPDX-License-Identifier: MIT */
/* child sources: a one-shot poll on a pidfd, then waitid(P_PIDFD) to reap.
 *
 * Each source costs one request in the ring and each exit one CQE and one
 * waitid(): nothing is scanned, so 10,000 children cost what one does. */

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop-internal.h"

/* glibc has P_PIDFD only as an enumerator of idtype_t, so it cannot be
 * tested with #ifdef: use the kernel's number. */
#define LOOP_P_PIDFD 3

int loop_add_child(loop *l, loop_source **ret, int pidfd, loop_child_handler handler, void *userdata) {
        loop_source *s;

        assert_return(l, -EINVAL);
        assert_return(pidfd >= 0, -EINVAL);
        assert_return(handler, -EINVAL);

        if (fcntl(pidfd, F_GETFD) < 0)
                return -errno;

        s = source_new(l, SOURCE_CHILD, NULL, userdata);
        if (!s)
                return -ENOMEM;
        s->child.pidfd = pidfd;
        s->child.handler = handler;
        s->enabled = true;
        poll_mark_dirty(s);

        if (ret)
                *ret = s;
        return 0;
}

void child_set_enabled(loop_source *s, bool enabled) {
        assert(s);

        s->enabled = enabled;
        poll_mark_dirty(s);
}

/* Returns 0 with si filled (si_pid 0 if the process still runs), or -errno
 * (-ECHILD: not our child, or somebody else reaped it). */
static int child_reap(int pidfd, siginfo_t *si) {
        memset(si, 0, sizeof *si);
        for (;;) {
                if (syscall(SYS_waitid, LOOP_P_PIDFD, pidfd, si, WEXITED | WNOHANG, NULL) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

void child_complete(loop_source *s, int res) {
        siginfo_t si;
        int r;

        assert(s);
        assert(!s->dead);

        if (res == -ECANCELED || !s->enabled)
                return;

        r = child_reap(s->child.pidfd, &si);
        if (r < 0) {
                /* Not ours to reap (or already reaped): gone, status unknown. */
                if (r != -ECHILD)
                        log_debug("loop: waitid on pidfd %d: %s", s->child.pidfd, strerror(-r));
                memset(&si, 0, sizeof si);
        } else if (si.si_pid == 0) {
                /* Woken but still running: watch again. */
                poll_mark_dirty(s);
                return;
        }

        /* One-shot: disabled before the handler, which may enable it again. */
        s->enabled = false;
        source_call_begin(s);
        r = s->child.handler(s, &si, s->userdata);
        (void) source_call_end(s, r);
}

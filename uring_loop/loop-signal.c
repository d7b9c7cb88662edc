/* SPDX-License-Identifier: MIT */
/* Signal sources: one signalfd per loop, created with the first signal
 * source and watched like an io source of the loop's own. Its mask is the
 * set of enabled signal sources; a disabled source leaves its signal
 * blocked but out of the mask, so that the signal stays pending until the
 * source is enabled again. Freeing a source unblocks its signal again
 * unless it was blocked before the source was added. */

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop-internal.h"

/* Signals read per wakeup; the level check brings the loop back for more. */
#define SIGNAL_READ_MAX 64

static int signal_watch_handler(loop_source *watch, int fd, uint32_t revents, void *userdata) {
        loop *l = userdata;

        for (unsigned i = 0; i < SIGNAL_READ_MAX; i++) {
                struct signalfd_siginfo si;
                loop_source *s;
                ssize_t n;
                int r;

                /* One record per read: a handler that disables or frees a
                 * source changes the mask before the next read, so no
                 * signal is taken off the kernel without being delivered. */
                n = read(fd, &si, sizeof si);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                if ((size_t) n != sizeof si)
                        return -EIO;

                if (si.ssi_signo == 0 || si.ssi_signo >= _NSIG)
                        continue;
                s = l->signal_sources[si.ssi_signo];
                if (!s || !s->enabled)
                        continue;

                source_call_begin(s);
                r = s->signal.handler(s, &si, s->userdata);
                (void) source_call_end(s, r);
        }
        return 0;
}

static int signal_watch_init(loop *l) {
        _cleanup_close_ int fd = -EBADF;
        sigset_t empty;
        int r;

        if (l->signal_watch)
                return 0;

        sigemptyset(&empty);
        fd = signalfd(-1, &empty, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0)
                return -errno;

        r = source_io_new(l, &l->signal_watch, fd, POLLIN, true, signal_watch_handler, l);
        if (r < 0)
                return r;
        l->signal_fd = TAKE_FD(fd);
        return 0;
}

static int signal_mask_apply(loop *l) {
        if (signalfd(l->signal_fd, &l->signal_mask, 0) < 0)
                return -errno;
        return 0;
}

/* Put sig in or out of the signalfd's mask. */
static int signal_mask_set(loop *l, int sig, bool on) {
        int r;

        if (on)
                sigaddset(&l->signal_mask, sig);
        else
                sigdelset(&l->signal_mask, sig);

        r = signal_mask_apply(l);
        if (r < 0) {
                if (on)
                        sigdelset(&l->signal_mask, sig);
                else
                        sigaddset(&l->signal_mask, sig);
                return r;
        }

        /* A signal already pending when it entered the mask wakes nobody:
         * have the watcher look once. */
        if (on)
                io_mark_pending(l->signal_watch);
        return 0;
}

static void signal_unblock(int sig) {
        sigset_t one;

        sigemptyset(&one);
        sigaddset(&one, sig);
        (void) pthread_sigmask(SIG_UNBLOCK, &one, NULL);
}

int loop_add_signal(loop *l, loop_source **ret, int sig, loop_signal_handler handler, void *userdata) {
        sigset_t one, old;
        loop_source *s;
        int r;

        assert_return(l, -EINVAL);
        assert_return(sig > 0 && sig < _NSIG, -EINVAL);
        assert_return(sig != SIGKILL && sig != SIGSTOP, -EINVAL);
        assert_return(handler, -EINVAL);

        /* Also refuses the real-time signals glibc keeps for itself. */
        sigemptyset(&one);
        if (sigaddset(&one, sig) < 0)
                return -EINVAL;

        if (l->signal_sources[sig])
                return -EBUSY;

        r = signal_watch_init(l);
        if (r < 0)
                return r;

        s = source_new(l, SOURCE_SIGNAL, NULL, userdata);
        if (!s)
                return -ENOMEM;
        s->signal.sig = sig;
        s->signal.handler = handler;

        r = pthread_sigmask(SIG_BLOCK, &one, &old);
        if (r != 0) {
                s->dead = true;
                source_release_if_unused(s);
                return -r;
        }
        s->signal.was_blocked = sigismember(&old, sig) > 0;

        r = signal_mask_set(l, sig, true);
        if (r < 0) {
                if (!s->signal.was_blocked)
                        signal_unblock(sig);
                s->dead = true;
                source_release_if_unused(s);
                return r;
        }

        l->signal_sources[sig] = s;
        s->enabled = true;
        if (ret)
                *ret = s;
        return 0;
}

int signal_set_enabled(loop_source *s, bool enabled) {
        int r;

        assert(s);

        r = signal_mask_set(s->loop, s->signal.sig, enabled);
        if (r < 0)
                return r;
        s->enabled = enabled;
        return 0;
}

void signal_detach(loop_source *s) {
        loop *l;

        assert(s);

        l = s->loop;
        if (s->enabled)
                (void) signal_mask_set(l, s->signal.sig, false);
        if (l->signal_sources[s->signal.sig] == s)
                l->signal_sources[s->signal.sig] = NULL;
        if (!s->signal.was_blocked)
                signal_unblock(s->signal.sig);
}

void loop_signal_done(loop *l) {
        assert(l);

        l->signal_fd = safe_close(l->signal_fd);
}

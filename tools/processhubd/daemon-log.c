/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon-config.h"
#include "daemon-log.h"
#include "log.h"
#include "processhubd-config.h"
#if HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

static bool to_journal;
static bool debug;

/* systemd sets JOURNAL_STREAM to the device and inode of the stream it
 * connected stdout/stderr to; when stderr is still that stream, the
 * journal is where our lines end up anyway, and structured fields are
 * worth having (systemd's own log_open() makes the same check). */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

void daemon_log_open(void) {
#if HAVE_LIBSYSTEMD
        /* sd_journal_send() drops lines silently where no journal listens
         * (a container without one): stderr is better there. */
        to_journal = (stderr_is_journal() || getenv("INVOCATION_ID")) && access("/run/systemd/journal/socket", W_OK) == 0;
#endif
        debug = log_debug_enabled();
}

void daemon_log(int priority, const char *hub, const char *child, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int saved = errno;

        if (priority >= LOG_DEBUG && !debug)
                return;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return;

#if HAVE_LIBSYSTEMD
        if (to_journal) {
                char prefix[600] = "";
                if (hub && child)
                        snprintf(prefix, sizeof prefix, "hub %s: child %s: ", hub, child);
                else if (hub)
                        snprintf(prefix, sizeof prefix, "hub %s: ", hub);
                int r;
                if (hub && child)
                        r = sd_journal_send("MESSAGE=%s%s", prefix, msg, "PRIORITY=%d", priority,
                                               "SYSLOG_IDENTIFIER=processhubd", "HUB_ID=%s", hub, "CHILD_ID=%s", child, NULL);
                else if (hub)
                        r = sd_journal_send("MESSAGE=%s%s", prefix, msg, "PRIORITY=%d", priority,
                                               "SYSLOG_IDENTIFIER=processhubd", "HUB_ID=%s", hub, NULL);
                else
                        r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority, "SYSLOG_IDENTIFIER=processhubd", NULL);
                /* No journal after all (a container without one): stderr. */
                if (r >= 0) {
                        errno = saved;
                        return;
                }
        }
#endif
        /* One write per line, so that threads do not interleave. */
        _cleanup_free_ char *line = NULL;
        int n;
        if (hub && child)
                n = asprintf(&line, "processhubd: hub %s: child %s: %s\n", hub, child, msg);
        else if (hub)
                n = asprintf(&line, "processhubd: hub %s: %s\n", hub, msg);
        else
                n = asprintf(&line, "processhubd: %s\n", msg);
        if (n > 0)
                (void) !write(STDERR_FILENO, line, (size_t) n);
        errno = saved;
}

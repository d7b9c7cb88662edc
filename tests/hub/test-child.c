/* SPDX-License-Identifier: MIT */

/* The program the supervisor tests run as children: one binary, several
 * behaviours, so each test states what its child does.
 *
 *   test-child sleep                     sleep until killed
 *   test-child exit CODE [DELAY_MS]      exit with CODE
 *   test-child signal SIG                kill itself with SIG
 *   test-child notify DELAY_MS           READY=1 on $NOTIFY_SOCKET after DELAY_MS, then sleep
 *   test-child tree N PIDFILE            fork N grandchildren (each in its own session),
 *                                        write all pids to PIDFILE, then sleep
 *   test-child ignore-term               ignore SIGTERM and sleep
 *   test-child memhog                    allocate and touch memory until killed
 *   test-child forkbomb PIDFILE          fork as much as it can, write the count, sleep
 *   test-child print TEXT                write TEXT to stdout and stderr, then sleep
 *   test-child printenv NAME...          write NAME=value (or NAME unset) lines to stdout, then sleep
 *   test-child dump                      allow core files and abort()
 */

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../helpers.h"

static void sleep_ms(long ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static _Noreturn void sleep_forever(void) {
        for (;;)
                pause();
}

static int sd_notify_ready(void) {
        const char *e = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        int fd;

        if (!e || !e[0] || strlen(e) >= sizeof(sa.sun_path))
                return -1;
        strcpy(sa.sun_path, e);
        if (sa.sun_path[0] == '@')
                sa.sun_path[0] = '\0';
        len = offsetof(struct sockaddr_un, sun_path) + strlen(e);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        static const char msg[] = "STATUS=warming up\nREADY=1\n";
        ssize_t n = sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *) &sa, len);
        close(fd);
        return n < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
        if (argc < 2)
                return 2;
        const char *mode = argv[1];

        if (strcmp(mode, "sleep") == 0)
                sleep_forever();
        if (strcmp(mode, "exit") == 0 && argc >= 3) {
                if (argc >= 4)
                        sleep_ms(atol(argv[3]));
                return atoi(argv[2]);
        }
        if (strcmp(mode, "signal") == 0 && argc >= 3) {
                signal(atoi(argv[2]), SIG_DFL);
                raise(atoi(argv[2]));
                return 1;
        }
        if (strcmp(mode, "notify") == 0 && argc >= 3) {
                sleep_ms(atol(argv[2]));
                if (sd_notify_ready() < 0)
                        return 3;
                sleep_forever();
        }
        /* READY=1 from a process in a group of its own below the leaf: the
         * supervisor must still find the child. */
        if (strcmp(mode, "notify-from-subgroup") == 0 && argc >= 3) {
                char own[1024], dir[1280], procs[1320];
                if (test_own_v2_cgroup_dir(own, sizeof own) < 0)
                        return 6;
                int n = snprintf(dir, sizeof dir, "%s/%s", own, argv[2]);
                if (n < 0 || (size_t) n >= sizeof dir)
                        return 6;
                n = snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
                if (n < 0 || (size_t) n >= sizeof procs)
                        return 6;
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return 7;
                pid_t p = fork();
                if (p < 0)
                        return 5;
                if (p == 0) {
                        FILE *f = fopen(procs, "we");
                        if (!f || fprintf(f, "0\n") < 0 || fclose(f) != 0)
                                _exit(8);
                        /* and stays, as a daemon's worker would: a
                         * sender already gone cannot be placed */
                        if (sd_notify_ready() < 0)
                                _exit(3);
                        sleep_forever();
                }
                sleep_forever();
        }
        if (strcmp(mode, "tree") == 0 && argc >= 4) {
                int n = atoi(argv[2]);
                FILE *f = fopen(argv[3], "we");
                if (!f)
                        return 4;
                for (int i = 0; i < n; i++) {
                        pid_t p = fork();
                        if (p < 0)
                                return 5;
                        if (p == 0) {
                                setsid(); /* out of the session: only the cgroup still holds it */
                                signal(SIGTERM, SIG_IGN);
                                sleep_forever();
                        }
                        fprintf(f, "%d\n", (int) p);
                }
                fprintf(f, "%d\n", (int) getpid());
                fclose(f);
                sleep_forever();
        }
        if (strcmp(mode, "ignore-term") == 0) {
                signal(SIGTERM, SIG_IGN);
                sleep_forever();
        }
        if (strcmp(mode, "memhog") == 0) {
                for (;;) {
                        size_t sz = 16 << 20;
                        char *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        if (p == MAP_FAILED)
                                sleep_ms(10);
                        else
                                memset(p, 0x5a, sz);
                }
        }
        if (strcmp(mode, "forkbomb") == 0 && argc >= 3) {
                int forked = 0, failed = 0;
                while (failed < 50 && forked < 100000) {
                        pid_t p = fork();
                        if (p == 0)
                                sleep_forever();
                        if (p < 0)
                                failed++;
                        else
                                forked++;
                }
                FILE *f = fopen(argv[2], "we");
                if (f) {
                        fprintf(f, "%d\n", forked);
                        fclose(f);
                }
                sleep_forever();
        }
        if (strcmp(mode, "print") == 0 && argc >= 3) {
                printf("%s\n", argv[2]);
                fflush(stdout);
                fprintf(stderr, "%s\n", argv[2]);
                sleep_forever();
        }
        if (strcmp(mode, "printenv") == 0) {
                for (int i = 2; i < argc; i++) {
                        const char *v = getenv(argv[i]);
                        if (v)
                                printf("%s=%s\n", argv[i], v);
                        else
                                printf("%s unset\n", argv[i]);
                }
                fflush(stdout);
                sleep_forever();
        }
        if (strcmp(mode, "dump") == 0) {
                struct rlimit rl = { .rlim_cur = 64 << 20, .rlim_max = 64 << 20 };
                setrlimit(RLIMIT_CORE, &rl);
                abort();
        }
        return 2;
}

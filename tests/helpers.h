/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by every test program. A test that needs something this machine
 * lacks exits 77 (meson's "skipped") and says why on stderr: never a silent
 * pass (liburing's test/helpers.h does the same). */

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define EXIT_TEST_SKIP 77

__attribute__((format(printf, 1, 2))) static inline _Noreturn void test_skip(const char *fmt, ...) {
        va_list ap;

        fputs("SKIP: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_TEST_SKIP);
}

static inline void test_require_root(void) {
        if (geteuid() != 0)
                test_skip("needs root (cgroups, clone3 into cgroups, setuid children)");
}

/* cgroup2 mounted either at /sys/fs/cgroup (pure v2) or at
 * /sys/fs/cgroup/unified (hybrid). */
static inline void test_require_cgroup2(void) {
        struct statfs fs;

        if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == 0x63677270 /* CGROUP2_SUPER_MAGIC */)
                return;
        if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == 0x63677270)
                return;
        test_skip("needs cgroup2 mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified");
}

/* A name unique to this test process, for hubs and groups that tests running
 * in parallel must not share. */
static inline const char *test_unique_name(const char *prefix) {
        static char buf[64];

        snprintf(buf, sizeof buf, "%s-%d", prefix, (int) getpid());
        return buf;
}

/* Whether pid runs; a zombie counts as dead. */
static inline bool pid_alive(pid_t pid) {
        char path[64], state = '?';
        FILE *fp;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fp = fopen(path, "re");
        if (!fp)
                return false;
        if (fscanf(fp, "%*d (%*[^)]) %c", &state) != 1)
                state = '?';
        fclose(fp);
        return state != 'Z' && state != 'X';
}

/* The directory of our own v2 cgroup: its mount (pure v2 or hybrid) and
 * the "0::" line of /proc/self/cgroup. */
static inline int test_own_v2_cgroup_dir(char *buf, size_t size) {
        static const char *const mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
        char line[512];
        FILE *f = fopen("/proc/self/cgroup", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof line, f)) {
                if (strncmp(line, "0::", 3) != 0)
                        continue;
                line[strcspn(line, "\n")] = '\0';
                fclose(f);
                for (size_t i = 0; i < 2; i++) {
                        struct statfs fs;
                        if (statfs(mounts[i], &fs) == 0 && fs.f_type == 0x63677270 /* CGROUP2_SUPER_MAGIC */) {
                                int n = snprintf(buf, size, "%s%s", mounts[i], line + 3);
                                return n < 0 || (size_t) n >= size ? -1 : 0;
                        }
                }
                return -1;
        }
        fclose(f);
        return -1;
}

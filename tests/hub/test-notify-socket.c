/* SPDX-License-Identifier: MIT */

/* The sd_notify socket: a real datagram from another process arrives with
 * that process's pid; message parsing; bad arguments. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "macros.h"
#include "notify-socket.h"

static int send_to(const char *address, const char *msg) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t l = strlen(address);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || l >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, address, l);
        if (sa.sun_path[0] == '@')
                sa.sun_path[0] = '\0';
        ssize_t n = sendto(fd, msg, strlen(msg), 0, (struct sockaddr *) &sa, offsetof(struct sockaddr_un, sun_path) + l);
        close(fd);
        return n < 0 ? -1 : 0;
}

static int count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        assert_non_null(d);
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static bool kernel_at_least(int major, int minor) {
        struct utsname u;
        int ma = 0, mi = 0;

        return uname(&u) == 0 && sscanf(u.release, "%d.%d", &ma, &mi) == 2 &&
               (ma > major || (ma == major && mi >= minor));
}

static void test_message_from_another_process(void **state) {
        notify_socket *s = NULL;
        notify_message m;
        int status;

        assert_int_equal(notify_socket_new(&s), 0);
        const char *address = notify_socket_address(s);
        assert_int_equal(address[0], '@');
        assert_true(strlen(address) > 1);
        assert_int_equal(notify_socket_receive(s, &m), 0); /* nothing yet */

        int fds_before = count_fds();
        /* The sender stays until we have read it, as a daemon does. */
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* gone with us, even when an assertion ends us early */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                alarm(30);
                if (send_to(address, "STATUS=loading cache\nREADY=1\nMAINPID=1\n") < 0)
                        _exit(1);
                pause();
                _exit(0);
        }

        struct pollfd p = { .fd = notify_socket_fd(s), .events = POLLIN };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_int_equal(notify_socket_receive(s, &m), 1);
        assert_int_equal(m.sender, pid);
        /* The kernel names the sender's group (a fork of ours: our group),
         * where it can (PIDFD_GET_INFO, 6.13): a kernel id, not a pid. */
        char own[1024];
        struct stat st;
        if (test_own_v2_cgroup_dir(own, sizeof own) == 0) {
                assert_int_equal(stat(own, &st), 0);
                if (kernel_at_least(6, 13))
                        assert_int_equal(m.sender_cgroup_id, st.st_ino);
                else if (m.sender_cgroup_id == 0)
                        fprintf(stderr, "kernel before 6.13 gave no sender cgroup: the /proc way is used\n");
        }
        /* The sender's pidfd that came with it is closed again. */
        assert_int_equal(count_fds(), fds_before);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(m.ready);
        assert_false(m.stopping);
        assert_true(m.has_status);
        assert_string_equal(m.status, "loading cache");
        assert_int_equal(notify_socket_receive(s, &m), 0);
        notify_socket_free(s);
}

static void test_parse(void **state) {
        notify_message m = {};
        char long_status[600] = "STATUS=";

        notify_message_parse("READY=1\nSTOPPING=1\nRELOADING=1\nWHATEVER=2", 41, &m);
        assert_true(m.ready);
        assert_true(m.stopping);
        assert_true(m.reloading);
        assert_false(m.has_status);

        m = (notify_message) {};
        notify_message_parse("READY=0\n", 8, &m);
        assert_false(m.ready);

        memset(long_status + 7, 'x', 500);
        long_status[507] = '\0';
        m = (notify_message) {};
        notify_message_parse(long_status, strlen(long_status), &m);
        assert_true(m.has_status);
        assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX - 1);

        m = (notify_message) {};
        notify_message_parse("", 0, &m);
        assert_false(m.ready);
}

static void test_bad_arguments(void **state) {
        notify_message m;

        assert_int_equal(notify_socket_new(NULL), -EINVAL);
        assert_int_equal(notify_socket_fd(NULL), -EINVAL);
        assert_null(notify_socket_address(NULL));
        assert_int_equal(notify_socket_receive(NULL, &m), -EINVAL);
        assert_null(notify_socket_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_message_from_another_process),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

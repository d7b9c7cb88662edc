/* SPDX-License-Identifier: MIT */

/* The sd_notify socket: a real datagram from another process arrives with
 * that process's pid; message parsing; bad arguments. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void test_message_from_another_process(void **state) {
        notify_socket *s = NULL;
        notify_message m;
        int status;

        assert_int_equal(notify_socket_new(&s), 0);
        const char *address = notify_socket_address(s);
        assert_int_equal(address[0], '@');
        assert_true(strlen(address) > 1);
        assert_int_equal(notify_socket_receive(s, &m), 0); /* nothing yet */

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(send_to(address, "STATUS=loading cache\nREADY=1\nMAINPID=1\n") < 0 ? 1 : 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        struct pollfd p = { .fd = notify_socket_fd(s), .events = POLLIN };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_int_equal(notify_socket_receive(s, &m), 1);
        assert_int_equal(m.sender, pid);
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

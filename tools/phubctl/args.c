/* SPDX-License-Identifier: MIT */

/* What every command shares: connecting, reporting failures with the exit
 * code they mean, usage errors, and the parsers of numbers and sizes. */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "phubctl.h"

void usage_print(FILE *f) {
        fputs("Usage: phubctl [--socket PATH] [--hub ID] [--json] COMMAND ...\n"
              "\n"
              "Commands:\n"
              "  start ID [--tag T] [--meta K=V]... [--restart permanent|transient|temporary]\n"
              "           [--ready exec|notify] [--memory-max SIZE] [--pids-max N] [--cpu-weight N]\n"
              "           [--node NODE] [--await] [--timeout MS] [--on-failure continue|rollback]\n"
              "           [--no-check-existing] -- CMD [ARG...]\n"
              "  start-many FILE|- [--await] [--timeout MS] [--on-failure continue|rollback]\n"
              "  stop ID... [--await] [--timeout MS]\n"
              "  ls [--local]              children and where they run\n"
              "  lookup ID [--with-metadata]\n"
              "  pid ID | pids ID | last-exit ID\n"
              "  tag TAG                   children with that tag\n"
              "  dump                      everything the registry holds\n"
              "  which                     the local supervisor's table\n"
              "  nodes [--include-local] | status | promote [NAME]\n"
              "  watch [HOOK...]           print events until interrupted\n"
              "  hook add KEY ID [--priority N] -- CMD [ARG...] | hook rm KEY ID...\n"
              "\n"
              "Exit status: 0 done, 1 the operation failed, 2 usage error, 3 daemon unreachable.\n"
              "See phubctl(1).\n",
              f);
}

int ctl_usage(const char *fmt, ...) {
        va_list ap;

        fputs("phubctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'phubctl --help'.\n", stderr);
        return EXIT_USAGE;
}

static bool lost_daemon(int r) {
        return r == -ECONNRESET || r == -ECONNREFUSED || r == -EPIPE;
}

int ctl_fail(int r, const char *text, const char *fmt, ...) {
        va_list ap;

        fputs("phubctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, ": %s\n", text ?: strerror(-r));
        if (lost_daemon(r)) {
                fputs("phubctl: the connection to processhubd was lost; is it still running?\n", stderr);
                return EXIT_UNREACHABLE;
        }
        return EXIT_FAILED;
}

static const char *socket_path_of(const phubctl *ctl) {
        const char *e = getenv("PROCESSHUB_SOCKET");

        if (ctl->socket_path)
                return ctl->socket_path;
        return e && e[0] ? e : PH_DEFAULT_SOCKET_PATH;
}

int ctl_connect(phubctl *ctl) {
        char *text = NULL;
        struct stat st;
        int r;

        if (ctl->hub)
                return EXIT_OK;
        r = ph_hub_connect(ctl->socket_path, ctl->hub_id, &ctl->hub, &text);
        if (r >= 0)
                return EXIT_OK;

        fprintf(stderr, "phubctl: %s\n", text ?: strerror(-r));
        free(text);
        /* -ENOENT is also "no such hub": the socket tells them apart. */
        if (r == -ECONNREFUSED || (r == -ENOENT && stat(socket_path_of(ctl), &st) < 0) || r == -ENOTSOCK) {
                fprintf(stderr, "phubctl: start it (systemctl start processhubd) or point --socket at its socket\n");
                return EXIT_UNREACHABLE;
        }
        if (r == -EACCES) {
                fprintf(stderr, "phubctl: run as root or as a member of the daemon's control group\n");
                return EXIT_UNREACHABLE;
        }
        if (r == -ENOENT || r == -EINVAL)
                fprintf(stderr, "phubctl: name the hub with --hub ID\n");
        return EXIT_FAILED;
}

int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;
        unsigned shift = 0;

        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        if (strcmp(s, "max") == 0) {
                *ret = PH_LIMIT_MAX;
                return 0;
        }
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
                return -EINVAL;
        switch (*end) {
        case '\0':
                break;
        case 'K': case 'k':
                shift = 10;
                break;
        case 'M': case 'm':
                shift = 20;
                break;
        case 'G': case 'g':
                shift = 30;
                break;
        case 'T': case 't':
                shift = 40;
                break;
        default:
                return -EINVAL;
        }
        if (*end && end[1])
                return -EINVAL;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = (uint64_t) v << shift;
        return 0;
}

int find_dashdash(int argc, char **argv) {
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0)
                        return i;
        return argc;
}

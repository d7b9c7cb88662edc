/* SPDX-License-Identifier: MIT */
/* cgroup_hierarchy_parse() on fixture mount tables (tests/fixtures/cgroup,
 * see its README): the templates' mount points are moved into a mkdtemp()
 * folder where the test writes the cgroup.controllers files, so that no
 * host file is read. Needs nothing of the machine. */

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup-internal.h"
#include "cgroup.h"
#include "helpers.h"

static char *fixtures;
static char root[] = "/tmp/phtest-cgroup-fixtures-XXXXXX";

/* asprintf() that cannot fail quietly; the result is freed by the caller. */
_printf_(1, 2) static char *strf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        assert_true(r >= 0);
        return s;
}

static char *slurp(const char *path) {
        char *s = NULL;

        if (cg_read_file(path, &s) < 0)
                fail_msg("cannot read %s", path);
        return s;
}

static void spew(const char *path, const char *content) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_true(fputs(content, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static void mkdir_p(const char *path) {
        char buf[PATH_MAX];

        assert_true(strlen(path) < sizeof buf);
        strcpy(buf, path);
        for (char *s = buf + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        assert_true(mkdir(buf, 0755) == 0 || errno == EEXIST);
                        *s = '/';
                }
        assert_true(mkdir(buf, 0755) == 0 || errno == EEXIST);
}

/* <root>/<v2 dir>/cgroup.controllers; content NULL removes it. */
static void set_controllers(const char *dir, const char *content) {
        char *d = strf("%s%s", root, dir), *f = strf("%s/cgroup.controllers", d);

        mkdir_p(d);
        if (content)
                spew(f, content);
        else
                assert_true(unlink(f) == 0 || errno == ENOENT);
        free(d);
        free(f);
}

/* fixtures/<name> with @ROOT@ replaced, written to <root>/<name>; returns
 * the new path (valid until the next call). */
static const char *instantiate(const char *name) {
        static char *out;
        char *in, *t, *s, *o;
        size_t n = 0;

        in = strf("%s/%s", fixtures, name);
        t = slurp(in);
        for (const char *p = t; (p = strstr(p, "@ROOT@")); p += 6)
                n++;
        s = malloc(strlen(t) + n * strlen(root) + 1);
        assert_non_null(s);
        o = s;
        for (const char *p = t; *p;) {
                if (strncmp(p, "@ROOT@", 6) == 0) {
                        o = stpcpy(o, root);
                        p += 6;
                } else
                        *o++ = *p++;
        }
        *o = '\0';

        free(out);
        out = strf("%s/%s", root, name);
        spew(out, s);
        free(s);
        free(t);
        free(in);
        return out;
}

/* fixtures/<name> (valid for the next few calls) */
static const char *fixture(const char *name) {
        static char *p[4];
        static unsigned i;

        i = (i + 1) % ELEMENTSOF(p);
        free(p[i]);
        p[i] = strf("%s/%s", fixtures, name);
        return p[i];
}

static void assert_rooted(const char *actual, const char *suffix) {
        char *expected = strf("%s%s", root, suffix);

        assert_non_null(actual);
        assert_string_equal(actual, expected);
        free(expected);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

static int setup(void **state) {
        const char *f = getenv("PROCESSHUB_TEST_FIXTURES");

        if (!f)
                test_skip("PROCESSHUB_TEST_FIXTURES is not set (run through meson test)");
        if (asprintf(&fixtures, "%s/cgroup", f) < 0)
                return -1;
        if (!mkdtemp(root))
                return -1;
        return 0;
}

static int teardown(void **state) {
        free(fixtures);
        return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_unified(void **state) {
        cgroup_hierarchy *h = NULL;
        const char *m;

        set_controllers("/sys/fs/cgroup/system.slice/processhubd.service",
                        "cpuset cpu io memory hugetlb pids rdma misc\n");
        m = instantiate("unified.mountinfo.in");
        assert_int_equal(cgroup_hierarchy_parse(m, fixture("unified.cgroup"), &h), 0);

        assert_int_equal(h->layout, CGROUP_LAYOUT_UNIFIED);
        assert_rooted(h->v2_mount, "/sys/fs/cgroup");
        assert_string_equal(h->v2_own, "/system.slice/processhubd.service");
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                assert_int_equal(h->backend[c], CGROUP_BACKEND_V2);
                assert_null(h->v1_mount[c]);
                assert_null(h->v1_own[c]);
        }
        cgroup_hierarchy_free(h);
}

/* Only what the parent delegated to us is ours; no file is no controller. */
static void test_unified_partial(void **state) {
        cgroup_hierarchy *h = NULL;
        const char *m;

        set_controllers("/sys/fs/cgroup/system.slice/processhubd.service", "memory pids");
        m = instantiate("unified.mountinfo.in");
        assert_int_equal(cgroup_hierarchy_parse(m, fixture("unified.cgroup"), &h), 0);
        assert_int_equal(h->backend[CGROUP_CONTROLLER_MEMORY], CGROUP_BACKEND_V2);
        assert_int_equal(h->backend[CGROUP_CONTROLLER_PIDS], CGROUP_BACKEND_V2);
        assert_int_equal(h->backend[CGROUP_CONTROLLER_CPU], CGROUP_BACKEND_NONE);
        assert_int_equal(h->backend[CGROUP_CONTROLLER_IO], CGROUP_BACKEND_NONE);
        h = cgroup_hierarchy_free(h);
        assert_null(h);

        set_controllers("/sys/fs/cgroup/system.slice/processhubd.service", NULL);
        assert_int_equal(cgroup_hierarchy_parse(m, fixture("unified.cgroup"), &h), 0);
        assert_int_equal(h->layout, CGROUP_LAYOUT_UNIFIED);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                assert_int_equal(h->backend[c], CGROUP_BACKEND_NONE);
        cgroup_hierarchy_free(h);
}

static void test_hybrid(void **state) {
        cgroup_hierarchy *h = NULL;
        const char *m;

        set_controllers("/sys/fs/cgroup/unified", "hugetlb\n");
        m = instantiate("hybrid.mountinfo.in");
        assert_int_equal(cgroup_hierarchy_parse(m, fixture("hybrid.cgroup"), &h), 0);

        assert_int_equal(h->layout, CGROUP_LAYOUT_HYBRID);
        assert_rooted(h->v2_mount, "/sys/fs/cgroup/unified");
        assert_string_equal(h->v2_own, "/");

        assert_int_equal(h->backend[CGROUP_CONTROLLER_MEMORY], CGROUP_BACKEND_V1);
        assert_rooted(h->v1_mount[CGROUP_CONTROLLER_MEMORY], "/sys/fs/cgroup/memory");
        assert_string_equal(h->v1_own[CGROUP_CONTROLLER_MEMORY], "/process_api/1fe5fe539dae4eb7feb9370cab896779");

        assert_int_equal(h->backend[CGROUP_CONTROLLER_PIDS], CGROUP_BACKEND_V1);
        assert_rooted(h->v1_mount[CGROUP_CONTROLLER_PIDS], "/sys/fs/cgroup/pids");
        assert_string_equal(h->v1_own[CGROUP_CONTROLLER_PIDS], "/");

        /* "cpu", not the separately mounted "cpuacct" */
        assert_int_equal(h->backend[CGROUP_CONTROLLER_CPU], CGROUP_BACKEND_V1);
        assert_rooted(h->v1_mount[CGROUP_CONTROLLER_CPU], "/sys/fs/cgroup/cpu");
        assert_string_equal(h->v1_own[CGROUP_CONTROLLER_CPU], "/");

        assert_int_equal(h->backend[CGROUP_CONTROLLER_IO], CGROUP_BACKEND_V1);
        assert_rooted(h->v1_mount[CGROUP_CONTROLLER_IO], "/sys/fs/cgroup/blkio");
        cgroup_hierarchy_free(h);
}

/* A controller cgroup2 has wins over a (stale) v1 mount of it. */
static void test_hybrid_v2_wins(void **state) {
        cgroup_hierarchy *h = NULL;
        const char *m;

        set_controllers("/sys/fs/cgroup/unified", "hugetlb pids\n");
        m = instantiate("hybrid.mountinfo.in");
        assert_int_equal(cgroup_hierarchy_parse(m, fixture("hybrid.cgroup"), &h), 0);
        assert_int_equal(h->backend[CGROUP_CONTROLLER_PIDS], CGROUP_BACKEND_V2);
        assert_null(h->v1_mount[CGROUP_CONTROLLER_PIDS]);
        assert_null(h->v1_own[CGROUP_CONTROLLER_PIDS]);
        assert_int_equal(h->backend[CGROUP_CONTROLLER_MEMORY], CGROUP_BACKEND_V1);
        cgroup_hierarchy_free(h);
        set_controllers("/sys/fs/cgroup/unified", "hugetlb\n");
}

static void test_comounted(void **state) {
        cgroup_hierarchy *h = NULL;
        const char *m;

        set_controllers("/sys/fs/cgroup/unified/user.slice/user-1000.slice/session-2.scope", "");
        m = instantiate("comounted.mountinfo.in");
        assert_int_equal(cgroup_hierarchy_parse(m, fixture("comounted.cgroup"), &h), 0);

        assert_int_equal(h->layout, CGROUP_LAYOUT_HYBRID);
        assert_rooted(h->v2_mount, "/sys/fs/cgroup/unified");
        assert_string_equal(h->v2_own, "/user.slice/user-1000.slice/session-2.scope");

        assert_int_equal(h->backend[CGROUP_CONTROLLER_CPU], CGROUP_BACKEND_V1);
        assert_rooted(h->v1_mount[CGROUP_CONTROLLER_CPU], "/sys/fs/cgroup/cpu,cpuacct");
        assert_string_equal(h->v1_own[CGROUP_CONTROLLER_CPU], "/user.slice");

        /* "\040" in the mount point is a space */
        assert_int_equal(h->backend[CGROUP_CONTROLLER_IO], CGROUP_BACKEND_V1);
        assert_rooted(h->v1_mount[CGROUP_CONTROLLER_IO], "/sys/fs/cgroup/blk io");
        assert_string_equal(h->v1_own[CGROUP_CONTROLLER_IO], "/user.slice");

        assert_int_equal(h->backend[CGROUP_CONTROLLER_PIDS], CGROUP_BACKEND_V1);
        assert_string_equal(h->v1_own[CGROUP_CONTROLLER_PIDS], "/user.slice/user-1000.slice/session-2.scope");

        assert_int_equal(h->backend[CGROUP_CONTROLLER_MEMORY], CGROUP_BACKEND_NONE);
        assert_null(h->v1_mount[CGROUP_CONTROLLER_MEMORY]);
        cgroup_hierarchy_free(h);
}

/* A mount of a group below the hierarchy's root: paths are made relative
 * to it; a v1 mount that does not contain our group is not used. */
static void test_container(void **state) {
        cgroup_hierarchy *h = NULL;
        const char *m;

        set_controllers("/sys/fs/cgroup/app", "memory\n");
        m = instantiate("container.mountinfo.in");
        assert_int_equal(cgroup_hierarchy_parse(m, fixture("container.cgroup"), &h), 0);
        assert_rooted(h->v2_mount, "/sys/fs/cgroup");
        assert_string_equal(h->v2_own, "/app");
        assert_int_equal(h->backend[CGROUP_CONTROLLER_MEMORY], CGROUP_BACKEND_V2);
        /* v1 pids is mounted from "/docker/other", which we are not in */
        assert_int_equal(h->backend[CGROUP_CONTROLLER_PIDS], CGROUP_BACKEND_NONE);
        assert_null(h->v1_mount[CGROUP_CONTROLLER_PIDS]);
        assert_int_equal(h->backend[CGROUP_CONTROLLER_CPU], CGROUP_BACKEND_NONE);
        cgroup_hierarchy_free(h);
}

static void test_no_cgroup2(void **state) {
        cgroup_hierarchy *h = (cgroup_hierarchy *) 0x1;

        assert_int_equal(cgroup_hierarchy_parse(fixture("no-cgroup2.mountinfo"), fixture("no-cgroup2.cgroup"), &h),
                         -ENOMEDIUM);
        assert_ptr_equal(h, (cgroup_hierarchy *) 0x1);

        /* cgroup2 mounted, but no "0::" line for us */
        assert_int_equal(cgroup_hierarchy_parse(instantiate("unified.mountinfo.in"), fixture("no-cgroup2.cgroup"), &h),
                         -ENOMEDIUM);
        assert_ptr_equal(h, (cgroup_hierarchy *) 0x1);
}

static void test_malformed(void **state) {
        cgroup_hierarchy *h = (cgroup_hierarchy *) 0x1;

        assert_int_equal(cgroup_hierarchy_parse(fixture("malformed-mountinfo.mountinfo"), fixture("hybrid.cgroup"), &h),
                         -EBADMSG);
        assert_int_equal(cgroup_hierarchy_parse(instantiate("hybrid.mountinfo.in"), fixture("malformed-cgroup.cgroup"), &h),
                         -EBADMSG);
        assert_ptr_equal(h, (cgroup_hierarchy *) 0x1);
}

static void test_missing_files(void **state) {
        cgroup_hierarchy *h = (cgroup_hierarchy *) 0x1;

        assert_int_equal(cgroup_hierarchy_parse(fixture("does-not-exist"), fixture("hybrid.cgroup"), &h), -ENOENT);
        assert_int_equal(cgroup_hierarchy_parse(fixture("no-cgroup2.mountinfo"), fixture("does-not-exist"), &h), -ENOENT);
        assert_ptr_equal(h, (cgroup_hierarchy *) 0x1);
}

static void test_bad_args(void **state) {
        cgroup_hierarchy *h = NULL;

        assert_int_equal(cgroup_hierarchy_parse(NULL, "/proc/self/cgroup", &h), -EINVAL);
        assert_int_equal(cgroup_hierarchy_parse("/proc/self/mountinfo", NULL, &h), -EINVAL);
        assert_int_equal(cgroup_hierarchy_parse("/proc/self/mountinfo", "/proc/self/cgroup", NULL), -EINVAL);
        assert_int_equal(cgroup_hierarchy_discover(NULL), -EINVAL);
        assert_null(h);
        assert_null(cgroup_hierarchy_free(NULL));
}

static void test_to_string(void **state) {
        assert_string_equal(cgroup_layout_to_string(CGROUP_LAYOUT_UNIFIED), "unified");
        assert_string_equal(cgroup_layout_to_string(CGROUP_LAYOUT_HYBRID), "hybrid");
        assert_null(cgroup_layout_to_string(_CGROUP_LAYOUT_MAX));
        assert_null(cgroup_layout_to_string(_CGROUP_LAYOUT_INVALID));
        assert_string_equal(cgroup_controller_to_string(CGROUP_CONTROLLER_MEMORY), "memory");
        assert_string_equal(cgroup_controller_to_string(CGROUP_CONTROLLER_PIDS), "pids");
        assert_string_equal(cgroup_controller_to_string(CGROUP_CONTROLLER_CPU), "cpu");
        assert_string_equal(cgroup_controller_to_string(CGROUP_CONTROLLER_IO), "io");
        assert_null(cgroup_controller_to_string(_CGROUP_CONTROLLER_MAX));
        assert_null(cgroup_controller_to_string(_CGROUP_CONTROLLER_INVALID));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unified),
                cmocka_unit_test(test_unified_partial),
                cmocka_unit_test(test_hybrid),
                cmocka_unit_test(test_hybrid_v2_wins),
                cmocka_unit_test(test_comounted),
                cmocka_unit_test(test_container),
                cmocka_unit_test(test_no_cgroup2),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_missing_files),
                cmocka_unit_test(test_bad_args),
                cmocka_unit_test(test_to_string),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: MIT */

/* processhubd's heap trim: after a burst freed tens of megabytes in small
 * pieces (with a few survivors pinning the heap, so that free() alone
 * cannot shrink it), one call gives the pages back: the process's RSS
 * falls. A quiet heap is left alone. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define PIECES 200000
#define PIECE_BYTES 400

static long rss_kib(void) {
        char line[256];
        long kb = -1;
        FILE *f = fopen("/proc/self/status", "re");

        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld", &kb) == 1)
                        break;
        fclose(f);
        return kb;
}

static void test_trim_after_burst(void **state) {
        static char *pieces[PIECES];
        long before, after;

        /* The burst: 80 MB in pieces, written to, then freed but for
         * every 1,000th. */
        for (size_t i = 0; i < PIECES; i++) {
                pieces[i] = malloc(PIECE_BYTES);
                assert_non_null(pieces[i]);
                memset(pieces[i], 0x5a, PIECE_BYTES);
        }
        for (size_t i = 0; i < PIECES; i++)
                if (i % 1000 != 999)
                        pieces[i] = (free(pieces[i]), NULL);

        before = rss_kib();
        phd_heap_trim(NULL);
        after = rss_kib();
        print_message("VmRSS %ld KiB -> %ld KiB\n", before, after);
        /* Most of the 80 MB comes back. */
        assert_true(before - after > 40 * 1024);

        for (size_t i = 0; i < PIECES; i++)
                free(pieces[i]);
}

static void test_quiet_heap_untouched(void **state) {
        /* Nothing much free: the call returns without trimming (and
         * without harm). */
        char *p = malloc(1000);

        assert_non_null(p);
        (void) malloc_trim(0);
        long before = rss_kib();
        phd_heap_trim(NULL);
        assert_true(rss_kib() <= before + 64);
        free(p);
}

int main(void) {
#ifdef __SANITIZE_ADDRESS__
        /* The trim is glibc malloc's; ASan brings an allocator of its own
         * (with a quarantine that holds freed memory on purpose). */
        printf("skipped: ASan build: malloc is not glibc's here\n");
        return 77;
#endif
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trim_after_burst),
                cmocka_unit_test(test_quiet_heap_untouched),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

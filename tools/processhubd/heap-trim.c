/* SPDX-License-Identifier: MIT */

/* Giving memory back after a burst. A start of thousands of children
 * through the socket decodes megabytes of JSON on the worker threads, each
 * with a malloc arena of its own, and the hubs rewrite their state files:
 * all of it freed within the second, none of it returned to the kernel,
 * since glibc's free() only trims the top of the main heap. Checked once a
 * second by the status timer: when the arenas hold a lot of free memory,
 * malloc_trim(0) hands their free pages back (MADV_DONTNEED), in every
 * arena. A quiet daemon pays one mallinfo2() a second. */

#include <malloc.h>

#include "daemon.h"

/* Big transient buffers (a state file's text, the records behind it, a
 * burst's replies: 100s of KB to MBs) must not come from the heap: glibc
 * raises its mmap threshold to the size of every mmap'ed chunk freed, so
 * from the second state file on they did, and the child records made in
 * between went into their holes, spreading 7 MB of live data over 16 MB of
 * resident heap at 10,000 children that no trim could give back. A fixed
 * threshold keeps them mmap'ed: unmapped, whole, the moment they are
 * freed. The daemon's choice; the library leaves malloc to its embedder. */
#define PHD_MMAP_THRESHOLD_BYTES (128 * 1024)

void phd_heap_setup(void) {
        (void) mallopt(M_MMAP_THRESHOLD, PHD_MMAP_THRESHOLD_BYTES);
}

/* Below this much free memory in the arenas, trimming is not worth its
 * walk over the heap. */
#define PHD_TRIM_MIN_FREE_BYTES ((size_t) 4 * 1024 * 1024)

void phd_heap_trim(phd *d) {
        struct mallinfo2 mi = mallinfo2();

        (void) d;
        /* fordblks: free bytes in the arenas (not in mmap'ed chunks, which
         * free() unmaps at once). */
        if (mi.fordblks < PHD_TRIM_MIN_FREE_BYTES || mi.fordblks < mi.uordblks / 4)
                return;
        (void) malloc_trim(0);
}

/* SPDX-License-Identifier: MIT */

/* The child both sides of the benchmark start: it does nothing but wait to
 * be killed, so that what is measured is the supervisor and the kernel, and
 * the exec is the same small binary for both. */

#include <unistd.h>

int main(void) {
        for (;;)
                pause();
}

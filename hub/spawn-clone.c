/* SPDX-License-Identifier: MIT */

/* See spawn-clone.h. The kernel starts the child with the stack pointer at
 * args->stack + args->stack_size and every register as the parent had it
 * but the return value: so fn and arg travel in registers the system call
 * preserves, and the child tests the return value for 0 and calls fn. */

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "spawn-clone.h"

#if defined(__x86_64__)

long spawn_clone3_on_stack(struct clone_args *args, void (*fn)(void *), void *arg) {
        register void (*fn_reg)(void *) __asm__("r12") = fn;
        register void *arg_reg __asm__("r13") = arg;
        long ret;

        /* syscall clobbers rcx and r11 only. The child clears the frame
         * pointer (end of backtraces), calls fn with the stack 16-byte
         * aligned as the ABI wants at a call, and traps if fn returns. */
        __asm__ volatile("syscall\n\t"
                         "testq %%rax, %%rax\n\t"
                         "jnz 1f\n\t"
                         "xorl %%ebp, %%ebp\n\t"
                         "movq %%r13, %%rdi\n\t"
                         "callq *%%r12\n\t"
                         "ud2\n"
                         "1:\n\t"
                         : "=a"(ret)
                         : "0"((long) SYS_clone3), "D"(args), "S"(sizeof(*args)), "r"(fn_reg), "r"(arg_reg)
                         : "rcx", "r11", "memory", "cc");
        return ret;
}

#elif defined(__aarch64__)

long spawn_clone3_on_stack(struct clone_args *args, void (*fn)(void *), void *arg) {
        register long x8 __asm__("x8") = SYS_clone3;
        register long x0 __asm__("x0") = (long) (uintptr_t) args;
        register long x1 __asm__("x1") = (long) sizeof(*args);
        register void (*fn_reg)(void *) __asm__("x19") = fn;
        register void *arg_reg __asm__("x20") = arg;

        /* svc preserves every register but x0. */
        __asm__ volatile("svc #0\n\t"
                         "cbnz x0, 1f\n\t"
                         "mov x29, xzr\n\t"
                         "mov x30, xzr\n\t"
                         "mov x0, x20\n\t"
                         "blr x19\n\t"
                         "brk #0\n"
                         "1:\n\t"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(fn_reg), "r"(arg_reg)
                         : "memory", "cc");
        return x0;
}

#else

long spawn_clone3_on_stack(struct clone_args *args, void (*fn)(void *), void *arg) {
        (void) args;
        (void) fn;
        (void) arg;
        return -ENOSYS;
}

#endif

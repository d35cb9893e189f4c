/* SPDX-License-Identifier: MIT */
/* The system call and the UTCB pointer on riscv64 (see uapi/keel/syscall.h). The kernel sets tp
 * to the thread's UTCB when it binds the thread. */
#pragma once
#include <stdint.h>
#include <uapi/keel/utcb.h>

static inline uint64_t keel_sys_invoke(uint64_t tag, uint64_t sel, uint64_t timeouts, uint64_t *label)
{
    register uint64_t a0 __asm__("a0") = tag;
    register uint64_t a1 __asm__("a1") = sel;
    register uint64_t a2 __asm__("a2") = timeouts;
    register uint64_t a3 __asm__("a3");
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1), "+r"(a2), "=r"(a3) : : "memory");
    if (label) {
        *label = a3;
    }
    return a0;
}

static inline struct keel_utcb *keel_utcb(void)
{
    uint64_t v;
    __asm__ volatile("mv %0, tp" : "=r"(v));
    return (struct keel_utcb *)(uintptr_t)v;
}

static inline uint64_t keel_cycles(void)
{
    uint64_t v;
    __asm__ volatile("rdtime %0" : "=r"(v));
    return v;
}
#define RT_ELF_MACHINE 243 /* EM_RISCV: programs the root task loads */

/* SPDX-License-Identifier: MIT */
/* The system call and the UTCB pointer on arm64 (see uapi/keel/syscall.h). */
#pragma once
#include <stdint.h>
#include <uapi/keel/utcb.h>

static inline uint64_t keel_sys_invoke(uint64_t tag, uint64_t sel, uint64_t timeouts, uint64_t *label)
{
    register uint64_t x0 __asm__("x0") = tag;
    register uint64_t x1 __asm__("x1") = sel;
    register uint64_t x2 __asm__("x2") = timeouts;
    register uint64_t x3 __asm__("x3");
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "=r"(x3) : : "memory");
    if (label) {
        *label = x3;
    }
    return x0;
}

static inline struct keel_utcb *keel_utcb(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, tpidrro_el0" : "=r"(v));
    return (struct keel_utcb *)(uintptr_t)v;
}

static inline uint64_t keel_cycles(void)
{
    uint64_t v;
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
#define RT_ELF_MACHINE 183 /* EM_AARCH64: programs the root task loads */

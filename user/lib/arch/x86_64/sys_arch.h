/* SPDX-License-Identifier: MIT */
/* The system call and the UTCB pointer on x86_64 (see uapi/keel/syscall.h and docs/abi.md): rax
 * tag, rdi selector, rsi timeouts, rdx label out; `syscall` clobbers rcx and r11. The kernel sets
 * r15 to the thread's UTCB when it binds the thread; all user code is built with -ffixed-r15. */
#pragma once
#include <stdint.h>
#include <uapi/keel/utcb.h>

static inline uint64_t keel_sys_invoke(uint64_t tag, uint64_t sel, uint64_t timeouts, uint64_t *label)
{
    uint64_t rdx;
    __asm__ volatile("syscall"
                     : "+a"(tag), "+D"(sel), "+S"(timeouts), "=d"(rdx)
                     :
                     : "rcx", "r11", "memory");
    if (label) {
        *label = rdx;
    }
    return tag;
}

static inline struct keel_utcb *keel_utcb(void)
{
    uint64_t v;
    __asm__ volatile("mov %%r15, %0" : "=r"(v));
    return (struct keel_utcb *)(uintptr_t)v;
}

static inline uint64_t keel_cycles(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return lo | (uint64_t)hi << 32;
}
#define RT_ELF_MACHINE 62 /* EM_X86_64: programs the root task loads */

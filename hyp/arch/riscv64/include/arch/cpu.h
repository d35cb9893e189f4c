/* SPDX-License-Identifier: MIT */
/* Inline CPU primitives (riscv64): per-CPU pointer in tp while in the kernel, interrupt masking. */
#pragma once
#include <stdint.h>
#include <arch/csr.h>

struct percpu;

/* Trap entry state, at offset 0 of struct percpu (see asm.h). */
struct arch_percpu {
    uint64_t kernel_sp; /* top of the current thread's kernel stack */
    uint64_t user_sp;   /* scratch during trap entry */
    uint64_t hartid;
    struct arch_pt *active_pt;       /* the task table loaded; NULL: the boot table (pt.c) */
};

/* tp as a global register variable: read where used, like any register, and assumed changed by
 * every call (a thread may continue on another CPU after a switch). */
register struct percpu *arch_percpu_tp __asm__("tp");
static inline struct percpu *arch_this_cpu(void) { return arch_percpu_tp; }
static inline void arch_set_this_cpu(struct percpu *p)
{
    __asm__ volatile("mv tp, %0" : : "r"(p) : "memory");
}
static inline void arch_irq_enable(void) { csr_set(sstatus, SSTATUS_SIE); }
static inline void arch_irq_disable(void) { csr_clear(sstatus, SSTATUS_SIE); }
/* Spinning (for the big lock, for other CPUs to start). wfi lets QEMU's round robin run the other
 * harts, one of which holds what we wait for (under -icount QEMU 7.2 would otherwise let hart 0
 * spin away their turns for good: docs/kernel.md); it returns at once on real harts too, as the
 * software interrupt made pending here is enabled in sie (arch_cpu_init_local). That interrupt
 * is taken later as a spurious reschedule IPI. */
static inline void arch_cpu_relax(void)
{
    csr_set(sip, SIE_SSIE);
    __asm__ volatile("wfi" ::: "memory");
}
/* Takes the interrupts pending now (kernel code runs with them masked). */
static inline void arch_irq_window(void) { __asm__ volatile("csrsi sstatus, 2\n csrci sstatus, 2" ::: "memory"); }
/* Waits for an interrupt, takes it, and masks interrupts again. */
static inline void arch_cpu_idle(void)
{
    __asm__ volatile("wfi\n csrsi sstatus, 2\n csrci sstatus, 2" ::: "memory");
}

/* Index of the highest set bit of v (v != 0). No Zbb here, and libgcc's clz is built for another
 * float ABI: smear the bits right, isolate the top one, and look it up by a de Bruijn product. */
static inline unsigned arch_fls64(uint64_t v)
{
    static const unsigned char table[64] = {
        0,  47, 1,  56, 48, 27, 2,  60, 57, 49, 41, 37, 28, 16, 3,  61,
        54, 58, 35, 52, 50, 42, 21, 44, 38, 32, 29, 23, 17, 11, 4,  62,
        46, 55, 26, 59, 40, 36, 15, 53, 34, 51, 20, 43, 31, 22, 10, 45,
        25, 39, 14, 33, 19, 30, 9,  24, 13, 18, 8,  12, 7,  6,  5,  63,
    };
    v |= v >> 1;
    v |= v >> 2;
    v |= v >> 4;
    v |= v >> 8;
    v |= v >> 16;
    v |= v >> 32;
    return table[(v * 0x03f79d71b4cb0a89ull) >> 58];
}

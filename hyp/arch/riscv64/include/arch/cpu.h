/* SPDX-License-Identifier: MIT */
/* Inline CPU primitives (riscv64): per-CPU pointer in tp while in the kernel, interrupt masking. */
#pragma once
#include <arch/csr.h>

struct percpu;

/* Trap entry state, at offset 0 of struct percpu (see asm.h). */
struct arch_percpu {
    uint64_t kernel_sp; /* top of the current thread's kernel stack */
    uint64_t user_sp;   /* scratch during trap entry */
    uint64_t hartid;
};

static inline struct percpu *arch_this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mv %0, tp" : "=r"(p));
    return p;
}
static inline void arch_set_this_cpu(struct percpu *p)
{
    __asm__ volatile("mv tp, %0" : : "r"(p) : "memory");
}
static inline void arch_irq_enable(void) { csr_set(sstatus, SSTATUS_SIE); }
static inline void arch_irq_disable(void) { csr_clear(sstatus, SSTATUS_SIE); }
static inline void arch_cpu_relax(void) { __asm__ volatile("nop" ::: "memory"); }
/* Waits for an interrupt, takes it, and masks interrupts again. */
static inline void arch_cpu_idle(void)
{
    __asm__ volatile("wfi\n csrsi sstatus, 2\n csrci sstatus, 2" ::: "memory");
}

/* SPDX-License-Identifier: MIT */
/* Inline CPU primitives (arm64): per-CPU pointer in TPIDR_EL2, interrupt masking. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <arch/sysreg.h>

struct percpu;
struct arch_pt;

/* At offset 0 of struct percpu (guest.S, vectors.S rely on it). */
struct arch_percpu {
    uint64_t guest_regs; /* while a guest runs: where its general registers go on exit */
    uint64_t host_sp;    /* and the kernel stack to return to */
    struct arch_pt *active_pt; /* the table in VTTBR_EL2 (a task's or a VM's); NULL: none */
    bool serror_expected;      /* a guest's pending SError is being taken (vcpu_el2.c) */
    uint64_t serror_esr;       /* and its ESR_EL2, once taken */
};

static inline struct percpu *arch_this_cpu(void)
{
    return (struct percpu *)sysreg_read(tpidr_el2);
}
static inline void arch_set_this_cpu(struct percpu *p) { sysreg_write(tpidr_el2, (uint64_t)p); }
static inline void arch_irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void arch_irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
static inline void arch_cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }
/* Takes the interrupts pending now (kernel code runs with them masked). */
static inline void arch_irq_window(void)
{
    __asm__ volatile("msr daifclr, #2\n isb\n msr daifset, #2" ::: "memory");
}
/* Waits for an interrupt with interrupts enabled, then masks them again. */
static inline void arch_cpu_idle(void)
{
    __asm__ volatile("dsb sy\n wfi\n msr daifclr, #2\n isb\n msr daifset, #2" ::: "memory");
}

/* Index of the highest set bit of v (v != 0). */
static inline unsigned arch_fls64(uint64_t v) { return 63u - (unsigned)__builtin_clzll(v); }

/* SPDX-License-Identifier: MIT */
/* Inline CPU primitives of the fake architecture (host unit tests): one CPU, no interrupts. */
#pragma once
#include <stdint.h>

struct percpu;

struct arch_percpu {
    uint64_t unused;
};

/* What arch_this_cpu() answers; tests set it (hyp/arch/fake/cpu.c). */
extern struct percpu *fake_this_cpu;

static inline struct percpu *arch_this_cpu(void) { return fake_this_cpu; }
static inline void arch_set_this_cpu(struct percpu *p) { fake_this_cpu = p; }
static inline void arch_irq_enable(void) {}
static inline void arch_irq_disable(void) {}
static inline void arch_cpu_relax(void) {}
static inline void arch_cpu_idle(void) {}
static inline void arch_irq_window(void) {}
/* Index of the highest set bit of v (v != 0). */
static inline unsigned arch_fls64(uint64_t v) { return 63u - (unsigned)__builtin_clzll(v); }

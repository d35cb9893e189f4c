/* SPDX-License-Identifier: MIT */
/* riscv64's per-CPU state for the host test of its page tables (test_riscv64_fences): the same
 * fields as hyp/arch/riscv64/include/arch/cpu.h, with the CPU the test says instead of tp. */
#pragma once
#include <stdint.h>

struct percpu;

struct arch_percpu {
    uint64_t kernel_sp;
    uint64_t user_sp;
    uint64_t hartid;
    struct arch_pt *active_pt;
};

extern struct percpu *fake_this_cpu; /* set by the test */

static inline struct percpu *arch_this_cpu(void)
{
    return fake_this_cpu;
}
static inline void arch_set_this_cpu(struct percpu *p)
{
    fake_this_cpu = p;
}
static inline void arch_irq_enable(void)
{
}
static inline void arch_irq_disable(void)
{
}
static inline void arch_cpu_relax(void)
{
}
static inline void arch_cpu_idle(void)
{
}
static inline void arch_irq_window(void)
{
}
static inline unsigned arch_fls64(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

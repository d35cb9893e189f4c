/* SPDX-License-Identifier: MIT */
/* The architecture contract: the per-CPU kernel timer (arm64: EL2 physical timer; riscv64: Sstc
 * stimecmp or the SBI timer). */
#pragma once
#include <stdint.h>

void arch_timer_init(const void *fdt);
/* Per-CPU part, on each CPU as it comes up. */
void arch_timer_init_cpu(void);
uint64_t arch_timer_now(void);
uint64_t arch_timer_freq(void);
/* Interrupts this CPU at `ticks` (UINT64_MAX: not at all). */
void arch_timer_set_deadline(uint64_t ticks);

/* SPDX-License-Identifier: MIT */
/* Kernel address translation (riscv64): all physical memory is mapped at KERNEL_OFFSET + PA in
 * the upper half of every address space; the lower half (Sv39: 256 GiB) belongs to the task. */
#pragma once
#include <keel/addr.h>
#include <arch/asm.h>

static inline void *kva_from_pa(paddr_t pa) { return (void *)(uintptr_t)(pa_val(pa) + KERNEL_OFFSET); }
static inline paddr_t pa_from_kva(const void *p) { return pa_init((uint64_t)(uintptr_t)p - KERNEL_OFFSET); }

/* Highest user virtual address + 1 (Sv39 lower half). */
#define ARCH_USER_VA_LIMIT (1ull << 38)

/* Hardware page-table root of a task (Sv39). */
struct arch_pt {
    uint64_t *root; /* level-2 table, kernel virtual */
    uint64_t satp;  /* what activating it writes: Sv39, ASID, root */
    uint16_t asid;
};
#define ARCH_ELF_MACHINE 243 /* EM_RISCV */

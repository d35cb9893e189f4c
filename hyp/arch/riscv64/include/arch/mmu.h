/* SPDX-License-Identifier: MIT */
/* Kernel address translation (riscv64): all physical memory is mapped at KERNEL_OFFSET + PA in
 * the upper half of every address space; the lower half (Sv39: 256 GiB) belongs to the task. */
#pragma once
#include <stdbool.h>
#include <keel/addr.h>
#include <keel/asid.h>
#include <keel/list.h>
#include <arch/asm.h>
#include <arch/fence.h>

static inline void *kva_from_pa(paddr_t pa) { return (void *)(uintptr_t)(pa_val(pa) + KERNEL_OFFSET); }
static inline paddr_t pa_from_kva(const void *p) { return pa_init((uint64_t)(uintptr_t)p - KERNEL_OFFSET); }

/* Orders a new table page's zeroing before the entry that points to it (the walker reads it
 * without the hart's ordering). */
static inline void arch_pt_publish(void)
{
    fence_w_w();
}

/* Highest user virtual address + 1 (Sv39 lower half). */
#define ARCH_USER_VA_LIMIT (1ull << 38)

/* Hardware page-table root of a task (Sv39), or of a VM task (G-stage: Sv48x4 where the harts
 * have it, else Sv39x4; the same entries, a 16 KiB root from a pool, no kernel half). */
struct arch_pt {
    uint64_t *root; /* level-2 table, kernel virtual */
    uint64_t satp;  /* what activating it writes: Sv39, ASID, root */
    struct asid asid; /* given at its first fault after loading (pt.c) */
    struct list link; /* in pt.c's list of task tables */
    uint16_t vmid;  /* VM tasks: the root's pool slot + 1 */
    uint8_t levels; /* 3 (Sv39, Sv39x4) or 4 (Sv48x4) */
    bool guest;
    bool defer, deferred; /* arch_pt_unmap_begin(): other harts are fenced at the end */
};
#define ARCH_ELF_MACHINE 243 /* EM_RISCV */

/* SPDX-License-Identifier: MIT */
/* Kernel address translation (arm64): EL2 maps all physical memory at its own address. */
#pragma once
#include <keel/addr.h>
#include <keel/asid.h>
#include <keel/list.h>

static inline void *kva_from_pa(paddr_t pa) { return (void *)(uintptr_t)pa_val(pa); }
static inline paddr_t pa_from_kva(const void *p) { return pa_init((uint64_t)(uintptr_t)p); }

/* Orders a new table page's zeroing before the entry that points to it (the walker reads it
 * without the CPU's ordering). */
static inline void arch_pt_publish(void)
{
    __asm__ volatile("dsb ishst" ::: "memory");
}

/* Highest user virtual address + 1 (stage-2 input size: 39 bits). */
#define ARCH_USER_VA_LIMIT (1ull << 39)

/* Hardware page-table root of a task (stage 2 on arm64). */
struct arch_pt {
    uint64_t *root;   /* level-1 table, kernel virtual */
    uint64_t vttbr;   /* what loading it writes: VMID and root (pt.c) */
    struct asid vmid; /* given at its first fault after loading (pt.c) */
    struct list link; /* in pt.c's list of tables */
    uint32_t bbm;     /* valid entries replaced (pt.c: a fault may have raced with one) */
};
#define ARCH_ELF_MACHINE 183 /* EM_AARCH64 */

/* SPDX-License-Identifier: MIT */
/*
 * Kernel address translation of the fake architecture (host unit tests): kernel memory is host
 * memory, so a "physical" address is the host pointer itself. The task page table is a software
 * table with the hardware's shape (see hyp/arch/fake/pt.c and <arch/fake_pt.h>).
 */
#pragma once
#include <keel/addr.h>

static inline void *kva_from_pa(paddr_t pa) { return (void *)(uintptr_t)pa_val(pa); }
static inline paddr_t pa_from_kva(const void *p) { return pa_init((uint64_t)(uintptr_t)p); }

/* Orders a new table page's zeroing before the entry that points to it (nothing walks it). */
static inline void arch_pt_publish(void)
{
    __asm__ volatile("" ::: "memory");
}

/* Highest user virtual address + 1: 39 bits, as arm64 stage 2. */
#define ARCH_USER_VA_LIMIT (1ull << 39)

/* A task's page table: three levels of 512 entries like arm64's, in quota-charged pages, plus
 * counters that tests read to check that the table is kept in sync with the memspace. */
struct arch_pt {
    uint64_t *root;        /* level-1 table, NULL before init and after destroy */
    uint64_t present;      /* valid leaf entries (a block counts one) */
    uint64_t tables;       /* table pages held, root included */
    uint64_t maps;         /* arch_pt_map() calls that succeeded */
    uint64_t remaps;       /* ... of them, over an entry that was already valid */
    uint64_t unmaps;       /* arch_pt_unmap() calls that removed a valid entry */
    uint64_t stale_unmaps; /* arch_pt_unmap() calls that found nothing to remove */
    uint64_t splits;       /* blocks split by arch_pt_split() */
};

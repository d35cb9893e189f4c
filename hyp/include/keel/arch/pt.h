/* SPDX-License-Identifier: MIT */
/*
 * The architecture contract: hardware page tables of tasks (arm64: stage 2 of EL1&0, the same
 * format VMs use; riscv64: Sv39). Generic code (keel/memspace.h) keeps the mapping database and
 * calls these to make the hardware agree. Table pages are charged to the given quota.
 */
#pragma once
#include <stdbool.h>
#include <keel/addr.h>
#include <arch/mmu.h>

struct quota;

/* A new empty table; guest: the nested format for a VM task (guest-physical addresses). */
int arch_pt_init(struct arch_pt *pt, struct quota *q, bool guest);
/* Where pt's addresses end (ARCH_USER_VA_LIMIT for a task; a VM task's may differ). */
uint64_t arch_pt_va_limit(const struct arch_pt *pt);
/* Frees every table page (mappings must already be gone or are dropped silently). */
void arch_pt_destroy(struct arch_pt *pt, struct quota *q);
/* The levels (keel/pt_walk.h: 0 for 4 KiB, 1 for 2 MiB, 2 for 1 GiB) where pt may have a leaf:
 * bit i set for level i. */
unsigned arch_pt_leaf_levels(const struct arch_pt *pt);
/* Maps pt_level_size(level) bytes at va (aligned to that) to pa as one leaf; rights are
 * KEEL_FP_R/W/X; device selects device memory attributes. What was there goes (a leaf, or an
 * empty table where a block goes now); nothing larger maps va. */
int arch_pt_map(struct arch_pt *pt, struct quota *q, vaddr_t va, paddr_t pa, unsigned level,
                unsigned rights, bool device);
/* Replaces the block at level (above 0) that maps va by a table of leaves one level down that
 * map the same, invalidating the block in every CPU's TLB; -KEEL_ENOMEM leaves the block. */
int arch_pt_split(struct arch_pt *pt, struct quota *q, vaddr_t va, unsigned level);
/* Removes the leaf at level that maps va and invalidates it in every CPU's TLB. */
void arch_pt_unmap(struct arch_pt *pt, vaddr_t va, unsigned level);
/* Between these two, unmaps in pt may leave other CPUs' TLBs to one invalidation of the whole
 * space in arch_pt_unmap_end() (an address space going away: one remote fence instead of one
 * per page). Both within one kernel operation: no frame is reused in between. */
void arch_pt_unmap_begin(struct arch_pt *pt);
void arch_pt_unmap_end(struct arch_pt *pt);
/* Drops every translation this CPU may hold, of tasks and guests (SCHED_ASK_TLB_FLUSH; x86: a
 * guest's go before this CPU next enters it, and on VT-x, where a CPU keeps several VMs', every
 * change of a guest table also marks every CPU for it: stale_cpus). */
void arch_tlb_flush_all_local(void);
/* Makes pt the current user address space of this CPU. */
void arch_pt_activate(struct arch_pt *pt);
/* A page fault at user level (or in a guest): true when it only meant that the loaded table had
 * no TLB tag (ASID, VMID) yet, which it has now; the access is tried again. arm64, riscv64. */
bool arch_pt_fault_fixup(void);

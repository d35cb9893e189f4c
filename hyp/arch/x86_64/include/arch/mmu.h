/* SPDX-License-Identifier: MIT */
/* Kernel address translation (x86_64): all physical memory at DIRECT_MAP_BASE + PA in the upper
 * half of every address space, the image also at KERNEL_IMAGE_BASE + PA; the lower half belongs
 * to the task, which may use its first 512 GiB (one PML4 entry). */
#pragma once
#include <keel/addr.h>
#include <arch/asm.h>

static inline void *kva_from_pa(paddr_t pa) { return (void *)(uintptr_t)(pa_val(pa) + DIRECT_MAP_BASE); }
static inline paddr_t pa_from_kva(const void *p)
{
    uint64_t v = (uint64_t)(uintptr_t)p;
    return pa_init(v >= KERNEL_IMAGE_BASE ? v - KERNEL_IMAGE_BASE : v - DIRECT_MAP_BASE);
}

/* Orders a new table page's zeroing before the entry that points to it: x86 stores are seen
 * in order, the compiler must keep them so. */
static inline void arch_pt_publish(void)
{
    __asm__ volatile("" ::: "memory");
}

/* Highest user virtual address + 1: 39 bits, as on arm64 (stage-2 input), so that tasks see the
 * same space everywhere; the kernel's page-fault receive window is that large too (ipc.c). */
#define ARCH_USER_VA_LIMIT (1ull << 39)

/* Hardware page-table root of a task (PML4). */
struct arch_pt {
    uint64_t *root; /* PML4, kernel virtual */
    uint64_t cr3;   /* what activating it writes: the PML4's physical address (nCR3 of a VM) */
    bool guest;     /* a VM task's nested table: no kernel half, never loaded into CR3 */
    const struct pt_format *fmt; /* with NX or without (the CPU's) */
    /* VT-x (each vCPU its own VPID; pt.c, vcpu_vmx.c): the CPUs that may hold stale
     * translations of this guest table (one bit each; all when made, all again whenever an entry
     * is changed or removed): such a CPU flushes them (INVEPT) before it enters one of its
     * guests, and clears its bit. A bit cannot wrap around, as a count could. */
    uint32_t stale_cpus;
};
#define ARCH_ELF_MACHINE 62 /* EM_X86_64 */

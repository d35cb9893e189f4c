/* SPDX-License-Identifier: MIT */
/* Inline CPU primitives (x86_64): per-CPU pointer through GS while in the kernel, interrupt
 * masking. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct percpu;

/* Entry state, at offset 0 of struct percpu (see asm.h): GS base points here in the kernel. */
struct arch_percpu {
    struct percpu *self;
    uint64_t kernel_sp;     /* top of the current thread's kernel stack (syscall entry) */
    uint64_t user_sp;       /* scratch during syscall entry */
    uint32_t apic_id;
    bool tlb_flush;         /* another CPU changed a page table this CPU uses: flush */
    const void *active_pt;  /* the task page table loaded (NULL: the boot PML4) */
    const void *guest_pt;   /* the VM table (nested paging) this CPU last ran a guest on */
    const void *guest_vcpu; /* ... and the vCPU (its private part): on SVM every VM has ASID 1
                             * (on VT-x vCPUs that share VPID 1), so one vCPU's translations are
                             * not another's, even in the same VM */
    bool guest_tlb_stale;   /* guests' TLB entries may be stale: flush on the next VMRUN */
    bool sleeping;          /* in arch_cpu_sleep: an interrupt there must not take the lock */
    struct tss *tss;
};

static inline struct percpu *arch_this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}
void arch_set_this_cpu(struct percpu *p);
static inline void arch_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void arch_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
/* Spinning (on the big lock): also serves TLB flush requests, which may not wait for the lock. */
void arch_tlb_flush_if_asked(void);
static inline void arch_cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
    arch_tlb_flush_if_asked();
}
/* Waits for an interrupt with interrupts enabled (sti's shadow covers hlt), then masks them. */
static inline void arch_cpu_idle(void) { __asm__ volatile("sti\n hlt\n cli" ::: "memory"); }
/* Takes the interrupts pending now (kernel code runs with them masked; STI holds them off for one
 * more instruction). */
static inline void arch_irq_window(void) { __asm__ volatile("sti\n nop\n cli" ::: "memory"); }

/* Index of the highest set bit of v (v != 0). */
static inline unsigned arch_fls64(uint64_t v) { return 63u - (unsigned)__builtin_clzll(v); }

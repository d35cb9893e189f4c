/* SPDX-License-Identifier: MIT */
/*
 * Extended vCPU mode on x86_64, between the part both back ends share (vcpu_x86.c: the
 * architecture hooks of keel/arch/vcpu_ext.h, x87/SSE, the guest's timer, the checks on the
 * event to inject) and the back ends themselves: AMD SVM (vcpu_svm.c) and Intel VT-x
 * (vcpu_vmx.c). Both fill the one state area of uapi/keel/vcpu_state_x86_64.h: the VMM does not
 * know which runs. One back end serves the whole machine, chosen at boot from the boot CPU.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <uapi/keel/vcpu.h>
#include <arch/vcpu_run.h>

struct thread;
struct percpu;

/* The kernel-only part of a vCPU (from the thread's quota when it is bound). */
struct vcpu_private {
    uint8_t fx[512]; /* FXSAVE image of the guest's x87/SSE registers (16-byte aligned) */
    void *hw;        /* SVM: its VMCB; VT-x: its VMCS (a page from the thread's quota, made
                       * on the first run): the vCPU's state between runs */
    uint8_t *vapic;  /* VT-x: its virtual-APIC page (the guest's TPR, which is its CR8) */
    unsigned fp_cpu; /* the CPU whose registers last held fx */
    unsigned ran_on; /* the CPU it last ran on, + 1 (0: none yet) */
    bool fx_live;    /* the CPU's x87/SSE registers hold the guest's, changed since fx */
    bool flush;      /* its TLB entries go at its next entry, wherever (its paging changed) */
    /* VT-x: what the VMCS does not hold, and where the VMCS is. */
    bool launched;     /* VMLAUNCH done since the VMCS was last cleared (next: VMRESUME) */
    bool msrs_live;    /* this CPU's system-call MSRs hold the guest's */
    bool pdptes_stale; /* the PDPTEs could not be loaded: again at the next resume */
    unsigned vmcs_cpu; /* the CPU the VMCS is active on, + 1 (0: cleared, all in memory) */
    uint16_t vpid;     /* its own (vcpu_vmx.c), 0 before its first run */
    const void *ran_pt; /* the VM table it last ran on */
    uint64_t cr2, dr6, star, lstar, cstar, sfmask, kernel_gs_base;
};
_Static_assert(__builtin_offsetof(struct vcpu_private, fx) == 0, "FXSAVE needs 16-byte alignment");

/* A back end: its part of each hook (vcpu_x86.c does the rest), as functions with one prefix
 * each (svm_vcpu_, vmx_vcpu_), called directly (LTO inlines them into the run loop). */
#define VCPU_BACKEND(p)                                                                             \
    /* whether a CPU has it (SVM with nested paging; VT-x with all vmx.c needs) */                  \
    bool p##on_cpu(unsigned cpu);                                                                   \
    /* the first run of a binding: its pages (ENOMEM); the binding goes: they go */                 \
    int p##init(struct thread *self, struct vcpu_private *pv);                                      \
    void p##release(struct thread *t, struct vcpu_private *pv);                                     \
    /* what moves at every resume, and the groups in dirty, from the area; inject, cr0 and cr4    \
     * are the values vcpu_x86.c read once and checked: 0, -KEEL_EINVAL or -KEEL_EPROTO */ \
    int64_t p##load(struct vcpu_run *r, const struct keel_vcpu_state *a, uint64_t dirty,            \
                    uint64_t inject, uint64_t cr0, uint64_t cr4);                                   \
    /* on the CPU, before each entry (x87/SSE are loaded): 0 or -KEEL_EPROTO */                     \
    int64_t p##prepare(struct vcpu_run *r, struct percpu *c);                                       \
    uint64_t p##enter(struct vcpu_run *r);                                                          \
    int64_t p##exit(struct vcpu_run *r, uint64_t raw);                                              \
    void p##put(struct vcpu_run *r);                                                                \
    /* what moves at every exit; the KEEL_VCPU_SYNC_SYS group (of a vCPU that has run) */           \
    void p##save(struct vcpu_run *r, struct keel_vcpu_state *a);                                    \
    void p##save_sys(struct vcpu_private *pv, struct keel_vcpu_state *a);                           \
    /* the thread leaves its CPU (a VMCS must not stay active there: it may run elsewhere) */       \
    void p##switch_out(struct vcpu_private *pv);
VCPU_BACKEND(svm_vcpu_)
VCPU_BACKEND(vmx_vcpu_)

extern bool svm_present; /* the boot CPU has SVM with nested paging */
extern bool vmx_present; /* ... VT-x with what the back end needs */

/* Per CPU at start-up, after svm_init_cpu() and vmx_probe_cpu(): the back end (chosen on the
 * boot CPU), and x87/SSE for FXSAVE. */
void vcpu_x86_init_cpu(void);
/* The ACPI PM timer's count now (uapi's pm_timer_port): 24 bits at 3.579545 MHz. */
uint32_t vcpu_x86_pm_timer(void);
/* An event whose delivery an exit cut short (the area's exit_int_info format) that the kernel
 * delivers again: not INTn, INT3, INTO (the guest's rip is still at the instruction). */
bool vcpu_x86_redeliver(uint64_t info);
/* The guest's timer: due, or this CPU's timer armed for it. */
bool vcpu_x86_timer_due(uint64_t deadline, struct percpu *c);

/* vmx.c: VT-x on this CPU: VMXON when its first guest runs (false: refused), VMXOFF before it
 * stops (a CPU in VMX operation ignores INIT); what the CPUs have. */
bool vmx_cpu_on(void);
void vmx_cpu_off(void);
bool vmx_usable_on(unsigned cpu);
struct vmx_caps {
    uint32_t revision;
    uint64_t basic;
    uint64_t pin, proc, proc2, exit, entry; /* allowed settings: 0s low, 1s high (TRUE_ MSRs) */
    uint64_t misc, ept_vpid, cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    bool preemption_timer; /* the VMX-preemption timer is there (vcpu_vmx.c says why it is used) */
};
extern struct vmx_caps vmx_caps; /* the boot CPU's */

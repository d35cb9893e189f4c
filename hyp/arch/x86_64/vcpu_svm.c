// SPDX-License-Identifier: MIT
/*
 * The AMD SVM back end of extended vCPU mode (vcpu_x86.h): the guest runs under VMRUN with the VM
 * task's table as its nested page table (nCR3). The VMCB is built from the state area with the
 * intercepts the kernel relies on forced (every I/O port, every MSR, the SVM instructions,
 * interrupts, CPUID, HLT, debug registers, shutdown). Interrupts that arrive while the guest runs
 * are the kernel's: the exit is handled here, the interrupt taken through the IDT, and the guest
 * goes on unless something arrived for the VMM thread.
 *
 * Every VM runs with ASID 1: a CPU flushes the guests' TLB entries when it runs another VM or
 * another vCPU than last time (a vCPU's own translations are not its sibling's), after one of
 * its nested tables changed (pt.c sets guest_tlb_stale), and for a vCPU whose paging controls its
 * VMM changed (until a VMRUN has done it).
 */
#include "vcpu_x86.h"
#include <keel/arch/vcpu_ext.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/bkl.h>
#include <keel/quota.h>
#include <keel/printk.h>
#include <keel/arch/timer.h>
#include <arch/mmu.h>
#include <arch/msr.h>
#include <arch/svm.h>
#include <arch/x86.h>
#include <uapi/keel/vcpu.h>
#include <uapi/keel/err.h>
#include <string.h>
#include "internal.h"

#define GUEST_ASID 1
#define EVENT_RESERVED 0x7ffff000ull /* EVENTINJ / EXITINTINFO bits 12-30 */
#define X86_DB 1
#define X86_AC 17
#define X86_MC 18

bool svm_present;         /* the boot CPU has SVM with nested paging */
static uint32_t svm_cpus; /* the CPUs that have it, a bit each */
/* All ports and all MSRs are intercepted: the permission maps are all ones, shared, never written
 * after boot. Per CPU: the host save area VMRUN uses, and the page svm_enter keeps the rest of
 * the host's state in. */
static uint8_t iopm[3 * 4096] __attribute__((aligned(4096)));
static uint8_t msrpm[2 * 4096] __attribute__((aligned(4096)));
static uint8_t host_save[KEEL_MAX_CPUS][4096] __attribute__((aligned(4096)));
static uint8_t host_state[KEEL_MAX_CPUS][4096] __attribute__((aligned(4096)));

static uint64_t pa_of(const void *p)
{
    return pa_val(pa_from_kva(p));
}

/* Per CPU, at start-up: SVM on where the CPU has it with nested paging and firmware left it
 * enabled. */
void svm_init_cpu(void)
{
    if (cpuid(0x80000000, 0).eax < 0x8000000a || !(cpuid(0x80000001, 0).ecx & (1u << 2)) ||
        !(cpuid(0x8000000a, 0).edx & 1) || (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)) {
        return;
    }
    unsigned cpu = this_cpu()->id;
    __atomic_or_fetch(&svm_cpus, 1u << cpu, __ATOMIC_RELAXED);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, pa_of(host_save[cpu]));
    if (cpu == 0) {
        memset(iopm, 0xff, sizeof(iopm));
        memset(msrpm, 0xff, sizeof(msrpm));
        svm_present = true;
        printk("x86: SVM with nested paging (%u ASIDs)\n", cpuid(0x8000000a, 0).ebx);
    }
}

bool svm_vcpu_on_cpu(unsigned cpu)
{
    return svm_cpus & (1u << cpu);
}

int svm_vcpu_init(struct thread *self, struct vcpu_private *p)
{
    p->hw = quota_alloc(self->obj.quota, PAGE_SIZE);
    if (!p->hw) {
        return -KEEL_ENOMEM;
    }
    memset(p->hw, 0, PAGE_SIZE);
    return 0;
}

void svm_vcpu_release(struct thread *t, struct vcpu_private *p)
{
    quota_free(t->obj.quota, p->hw, PAGE_SIZE);
    p->hw = NULL;
}

static void seg_in(struct vmcb_segment *v, const struct keel_x86_segment *s)
{
    v->selector = s->selector;
    v->attr = s->attr & 0x0fff;
    v->limit = s->limit;
    v->base = s->base;
}

static void seg_out(struct keel_x86_segment *s, const struct vmcb_segment *v)
{
    s->selector = v->selector;
    s->attr = v->attr;
    s->limit = v->limit;
    s->base = v->base;
}

/* The controls the kernel relies on, set when the thread is bound to a VM (only the kernel writes
 * the VMCB: they stay), but the interrupt window's, set at each resume (vmcb_load). */
static void vmcb_controls(struct vmcb *v, const struct task *vm)
{
    v->intercept_cr_read = 0;
    v->intercept_cr_write = 1u << 4; /* CR4: the VMM emulates it, so that PKE stays off */
    v->intercept_dr_read = 0xffff;
    v->intercept_dr_write = 0xffff;
    v->intercept_exceptions = (1u << X86_DB) | (1u << X86_AC) | (1u << X86_MC); /* finish_here() */
    v->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_SMI |
                         SVM_INTERCEPT_INIT | SVM_INTERCEPT_RDPMC | SVM_INTERCEPT_CPUID |
                         SVM_INTERCEPT_INVD | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVLPGA |
                         SVM_INTERCEPT_IOIO | SVM_INTERCEPT_MSR | SVM_INTERCEPT_TASK_SWITCH |
                         SVM_INTERCEPT_FERR_FREEZE | SVM_INTERCEPT_SHUTDOWN;
    v->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
                         SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
                         SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_ICEBP | SVM_INTERCEPT_WBINVD |
                         SVM_INTERCEPT_MONITOR | SVM_INTERCEPT_MWAIT | SVM_INTERCEPT_MWAIT_COND |
                         SVM_INTERCEPT_XSETBV | SVM_INTERCEPT_RDPRU;
    v->intercept_misc3 = 0;
    v->iopm_base_pa = pa_of(iopm);
    v->msrpm_base_pa = pa_of(msrpm);
    v->tsc_offset = 0;
    v->asid = GUEST_ASID;
    v->np_enable = SVM_NP_ENABLE;
    v->ncr3 = vm->mem.pt.cr3;
}

/* What moves at every resume (checked by the caller), into the VMCB. */
static void vmcb_load(struct vmcb *v, const struct keel_vcpu_state *k, uint64_t want, uint64_t cr0,
                      uint64_t cr4)
{
    /* Physical interrupts stay the host's (V_INTR_MASKING); the guest's TPR is its CR8. A wanted
     * interrupt window is a virtual interrupt that only exits (VINTR) once the guest can take
     * it. */
    bool window = want & KEEL_X86_WANT_IRQ_WINDOW;
    v->intercept_misc1 = window ? v->intercept_misc1 | SVM_INTERCEPT_VINTR
                                : v->intercept_misc1 & ~(uint32_t)SVM_INTERCEPT_VINTR;
    /* While the window is open, the guest's MOV to CR8 exits too (the VMM emulates it): QEMU's
     * emulated SVM (7.2) aborts on a CR8 write with a virtual interrupt pending (it raises the
     * interrupt without its lock; OVMF writes CR8). On hardware it costs an exit only then. */
    v->intercept_cr_write = window ? (1u << 4) | (1u << 8) : 1u << 4;
    v->vintr = SVM_VINTR_MASKING | (k->cr8 & 0xf) |
               (window ? SVM_VINTR_V_IRQ | SVM_VINTR_V_IGN_TPR : 0);
    v->clean = 0;
    v->interrupt_shadow = k->interrupt_shadow & 1;
    seg_in(&v->cs, &k->cs);
    bool was_protected = (v->cr0 & 1) && !(v->rflags & (1ull << 17));
    v->efer = k->efer | EFER_SVME;
    v->cr0 = cr0;
    v->cr3 = k->cr3;
    v->cr4 = cr4;
    v->rflags = k->rflags;
    /* The CPL is 0 in real mode, 3 in virtual-8086 mode, SS.DPL when protected mode comes back;
     * in protected mode it stays the VMCB's (which SS.DPL need not match: vmcb_save_sys). */
    if (!(v->cr0 & 1)) {
        v->cpl = 0;
    } else if (v->rflags & (1ull << 17)) {
        v->cpl = 3;
    } else if (!was_protected) {
        v->cpl = (v->ss.attr >> 5) & 3;
    }
    v->rip = k->rip;
    v->rsp = k->gpr[4];
    v->rax = k->gpr[0];
}

/* KEEL_VCPU_SYNC_SYS into the VMCB (the VMM wrote it), and the CPL that goes with it. */
static void vmcb_load_sys(struct vmcb *v, const struct keel_vcpu_state *k)
{
    const struct keel_x86_sys *s = &k->sys;
    seg_in(&v->es, &s->es);
    seg_in(&v->ss, &s->ss);
    seg_in(&v->ds, &s->ds);
    seg_in(&v->fs, &s->fs);
    seg_in(&v->gs, &s->gs);
    seg_in(&v->gdtr, &s->gdtr);
    seg_in(&v->ldtr, &s->ldtr);
    seg_in(&v->idtr, &s->idtr);
    seg_in(&v->tr, &s->tr);
    /* The CPL is SS.DPL in protected mode, 0 in real mode, 3 in virtual-8086 mode. */
    v->cpl = (uint8_t)(!(v->cr0 & 1) ? 0 : (v->rflags & (1ull << 17)) ? 3 : (v->ss.attr >> 5) & 3);
    v->cr2 = s->cr2;
    v->dr6 = s->dr6;
    v->dr7 = s->dr7 & ~0xffull; /* no breakpoint enables: DR0-3 are never the guest's */
    v->star = s->star;
    v->lstar = s->lstar;
    v->cstar = s->cstar;
    v->sfmask = s->sfmask;
    v->kernel_gs_base = s->kernel_gs_base;
    v->sysenter_cs = s->sysenter_cs;
    v->sysenter_esp = s->sysenter_esp;
    v->sysenter_eip = s->sysenter_eip;
    v->g_pat = s->pat;
}

/* What moves at every exit, from the VMCB. */
static void vmcb_save(const struct vmcb *v, struct keel_vcpu_state *k)
{
    seg_out(&k->cs, &v->cs);
    k->efer = v->efer & ~(uint64_t)EFER_SVME;
    k->cr0 = v->cr0;
    k->cr3 = v->cr3;
    k->cr4 = v->cr4;
    k->cr8 = v->vintr & 0xf;
    k->rflags = v->rflags;
    k->rip = v->rip;
    k->gpr[4] = v->rsp;
    k->gpr[0] = v->rax;
    k->interrupt_shadow = v->interrupt_shadow & 1;
    k->exit_code = v->exit_code;
    k->exit_info1 = v->exit_info1;
    k->exit_info2 = v->exit_info2;
    k->exit_int_info = v->exit_int_info;
    k->inject = v->event_inject; /* an interrupted delivery not yet retried */
}

/* KEEL_VCPU_SYNC_SYS from the VMCB. */
static void vmcb_save_sys(const struct vmcb *v, struct keel_vcpu_state *k)
{
    struct keel_x86_sys *s = &k->sys;
    seg_out(&s->es, &v->es);
    seg_out(&s->ss, &v->ss);
    if ((v->cr0 & 1) && !(v->rflags & (1ull << 17))) {
        /* The CPL is the VMCB's, which SS.DPL need not match (after SYSRET, on AMD): the area
         * carries it as SS.DPL, where vmcb_load_sys() takes it from. */
        s->ss.attr = (uint16_t)((s->ss.attr & ~0x60u) | ((v->cpl & 3u) << 5));
    }
    seg_out(&s->ds, &v->ds);
    seg_out(&s->fs, &v->fs);
    seg_out(&s->gs, &v->gs);
    seg_out(&s->gdtr, &v->gdtr);
    seg_out(&s->ldtr, &v->ldtr);
    seg_out(&s->idtr, &v->idtr);
    seg_out(&s->tr, &v->tr);
    s->cr2 = v->cr2;
    s->dr6 = v->dr6;
    s->dr7 = v->dr7;
    s->star = v->star;
    s->lstar = v->lstar;
    s->cstar = v->cstar;
    s->sfmask = v->sfmask;
    s->kernel_gs_base = v->kernel_gs_base;
    s->sysenter_cs = v->sysenter_cs;
    s->sysenter_esp = v->sysenter_esp;
    s->sysenter_eip = v->sysenter_eip;
    s->pat = v->g_pat;
}

/* The exits the kernel finishes itself (true: back into the guest). #DB and #AC are intercepted
 * only so that a guest whose delivery of them raises them again (a loop in which the CPU never
 * opens an interrupt window: CVE-2015-5307, -8104) still exits: each is given back to it. */
static bool finish_here(struct vcpu_run *r, struct vmcb *v, uint64_t code)
{
    switch (code) {
    case SVM_EXIT_IOIO:
        /* A 32-bit IN (not INS) from the PM timer's port: answered here. */
        if (r->pm_timer_port && (v->exit_info1 & 0x5) == 1 && (v->exit_info1 & (1u << 6)) &&
            (v->exit_info1 >> 16) == r->pm_timer_port) {
            v->rax = vcpu_x86_pm_timer();
            v->rip = v->exit_info2;
            return true;
        }
        return false;
    case SVM_EXIT_INTR:
    case SVM_EXIT_NMI:
    case SVM_EXIT_SMI:
    case SVM_EXIT_INIT:
        if (vcpu_x86_redeliver(v->exit_int_info)) {
            v->event_inject = v->exit_int_info & ~EVENT_RESERVED; /* an interrupted delivery */
        }
        return true; /* the host's: taken in run_once */
    case SVM_EXIT_VMMCALL:
        if (v->rax != KEEL_X86_VMMCALL_NULL) {
            return false;
        }
        v->rax = 0; /* the kernel's own hypercall */
        v->rip += 3;
        return true;
    case SVM_EXIT_EXCP(X86_DB):
        v->event_inject = KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXCEPTION | X86_DB;
        return true;
    case SVM_EXIT_EXCP(X86_AC):
        v->event_inject = KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXCEPTION |
                          KEEL_X86_INJECT_ERROR | X86_AC; /* error code 0 */
        return true;
    case SVM_EXIT_EXCP(X86_MC):
        panic("machine check while a guest ran (rip 0x%lx)", (unsigned long)v->rip);
    default:
        return false;
    }
}

int64_t svm_vcpu_load(struct vcpu_run *r, const struct keel_vcpu_state *a, uint64_t dirty,
                      uint64_t inject, uint64_t cr0, uint64_t cr4)
{
    struct vmcb *v = r->p->hw;
    uint64_t cr0_was = v->cr0, cr3 = v->cr3, cr4_was = v->cr4, efer = v->efer; /* as it last ran */
    if (r->self->vcpu.fresh) {
        vmcb_controls(v, r->vm);
    }
    vmcb_load(v, a, r->want, cr0, cr4);
    v->event_inject = inject & ~EVENT_RESERVED;
    if (dirty & KEEL_VCPU_SYNC_SYS) {
        vmcb_load_sys(v, a);
    }
    /* Paging controls the VMM changed (it emulates CR4 writes, and resets vCPUs): the guest's
     * translations go at its next VMRUN, whenever that is (VMRUN keeps those of its ASID). */
    if (r->self->vcpu.fresh || v->cr0 != cr0_was || v->cr3 != cr3 || v->cr4 != cr4_was ||
        v->efer != efer) {
        r->p->flush = true;
    }
    return 0;
}

int64_t svm_vcpu_prepare(struct vcpu_run *r, struct percpu *c)
{
    struct vmcb *v = r->p->hw;
    struct vcpu_private *p = r->p;
    /* Another VM's or another vCPU's translations may be here (one ASID for all), or this
     * vCPU's may be stale (a table changed, it changed its paging, it ran elsewhere since). */
    if (c->arch.guest_pt != &r->vm->mem.pt || c->arch.guest_vcpu != p || c->arch.guest_tlb_stale ||
        p->flush || p->ran_on != c->id + 1) {
        v->tlb_control = SVM_TLB_FLUSH_ALL;
        c->arch.guest_pt = &r->vm->mem.pt;
        c->arch.guest_vcpu = p;
        c->arch.guest_tlb_stale = false;
    } else {
        v->tlb_control = 0;
    }
    p->ran_on = c->id + 1; /* (what its guest flushes on another CPU stays in this one's TLB) */
    r->injecting = v->event_inject;
    return 0;
}

/* One VMRUN, with interrupts masked until the exit is known; an interrupt that ended the run is
 * taken here, through the IDT, without the big lock (as in the idle loop). */
uint64_t svm_vcpu_enter(struct vcpu_run *r)
{
    struct vmcb *v = r->p->hw;
    svm_enter(r->area->gpr, pa_of(v), pa_of(host_state[this_cpu()->id]));
    __asm__ volatile("stgi" ::: "memory");
    if (v->exit_code == SVM_EXIT_INTR) { /* (an NMI is taken at the STGI) */
        __asm__ volatile("sti\n nop\n cli" ::: "memory");
    }
    return v->exit_code;
}

int64_t svm_vcpu_exit(struct vcpu_run *r, uint64_t code)
{
    struct vmcb *v = r->p->hw;
    if (v->tlb_control == SVM_TLB_FLUSH_ALL && !svm_exit_refused(code)) {
        r->p->flush = false; /* done by this VMRUN */
    }
    v->event_inject = 0; /* delivered, or in exit_int_info */
    if (svm_exit_refused(code)) {
        v->event_inject = r->injecting; /* not given to the guest: still the VMM's */
        return -KEEL_EINVAL;            /* a state the hardware refuses to run */
    }
    if (finish_here(r, v, code)) {
        return VCPU_GO_ON;
    }
    if (code == SVM_EXIT_VINTR) {
        r->want &= ~KEEL_X86_WANT_IRQ_WINDOW; /* the window it asked for is open */
    }
    return KEEL_VCPU_EXIT_TRAP; /* everything else is the VMM's */
}

void svm_vcpu_put(struct vcpu_run *r)
{
    (void)r; /* the VMCB is memory; x87/SSE stay in the CPU until the thread leaves it */
}

void svm_vcpu_save(struct vcpu_run *r, struct keel_vcpu_state *a)
{
    vmcb_save(r->p->hw, a);
}

void svm_vcpu_save_sys(struct vcpu_private *p, struct keel_vcpu_state *a)
{
    vmcb_save_sys(p->hw, a);
}

void svm_vcpu_switch_out(struct vcpu_private *p)
{
    (void)p; /* the VMCB is memory: it runs anywhere */
}

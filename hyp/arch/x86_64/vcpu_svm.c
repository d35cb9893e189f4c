// SPDX-License-Identifier: MIT
/*
 * Extended vCPU mode on x86_64 with AMD SVM: the guest runs under VMRUN with the VM task's table
 * as its nested page table (nCR3). The kernel works on its own copy of the state area (the VMM
 * may change the area at any time), builds the VMCB from it with the intercepts the kernel
 * relies on forced (every I/O port, every MSR, the SVM instructions, interrupts, CPUID, HLT,
 * debug registers, shutdown), and runs the guest until an exit the VMM must see. Interrupts
 * that arrive while the guest runs are the kernel's: the exit is handled here, the interrupt
 * taken through the IDT, and the guest goes on unless something arrived for the VMM thread.
 *
 * Every VM runs with ASID 1: a CPU flushes the guests' TLB entries when it runs another VM or
 * another vCPU than last time (a vCPU's own translations are not its sibling's), after one of
 * its nested tables changed (pt.c sets guest_tlb_stale), and for a vCPU whose paging controls its
 * VMM changed (until a VMRUN has done it).
 *
 * x87/SSE: Keel and its tasks use none (CR0.EM at user level); a guest's registers live in the
 * thread's private part while it is out (FXSAVE), and are reloaded only when another vCPU used
 * the CPU's registers since.
 */
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

#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define GUEST_ASID 1
#define EVENT_RESERVED 0x7ffff000ull /* EVENTINJ / EXITINTINFO bits 12-30 */
#define X86_DB 1
#define X86_AC 17
#define X86_MC 18

struct vcpu_private {
    uint8_t fx[512];     /* FXSAVE image of the guest's x87/SSE registers (16-byte aligned) */
    struct vmcb *vmcb;   /* its own page, from the thread's quota on the first run: the vCPU's
                          * state between runs (what the area does not carry at every exit) */
    unsigned fp_cpu;     /* the CPU whose registers last held fx */
    unsigned ran_on;     /* the CPU it last ran on, + 1 (0: none yet) */
    bool fx_live;        /* the CPU's x87/SSE registers hold the guest's, changed since fx */
    bool flush;          /* its TLB entries go at its next VMRUN, wherever (its paging changed) */
};
_Static_assert(__builtin_offsetof(struct vcpu_private, fx) == 0, "FXSAVE needs 16-byte alignment");

const uint64_t arch_vcpu_state_size = sizeof(struct keel_vcpu_state);
const uint64_t arch_vcpu_private_size = sizeof(struct vcpu_private);

bool svm_present;         /* the boot CPU has SVM with nested paging */
static uint32_t svm_cpus; /* the CPUs that have it, a bit each */
/* AMD CPUs without CPUID 0x80000008 EBX[2] (RstrFpErrPtrs): FXRSTOR does not always restore
 * FIP/FDP/FOP. */
static bool fx_keeps_error_pointers;
/* All ports and all MSRs are intercepted: the permission maps are all ones, shared, never written
 * after boot. Per CPU: the host save area VMRUN uses, and the page svm_enter keeps the rest of
 * the host's state in. */
static uint8_t iopm[3 * 4096] __attribute__((aligned(4096)));
static uint8_t msrpm[2 * 4096] __attribute__((aligned(4096)));
static uint8_t host_save[KEEL_MAX_CPUS][4096] __attribute__((aligned(4096)));
static uint8_t host_state[KEEL_MAX_CPUS][4096] __attribute__((aligned(4096)));
static struct thread *fp_owner[KEEL_MAX_CPUS]; /* whose registers each CPU's x87/SSE hold */


static uint64_t pa_of(const void *p)
{
    return pa_val(pa_from_kva(p));
}

static uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* Per CPU, at start-up: SVM on where the CPU has it with nested paging and firmware left it
 * enabled. FXSAVE then covers the SSE registers (CR4.OSFXSR); user level still has no x87/SSE
 * (CR0.EM: both #NM / #UD). */
void svm_init_cpu(void)
{
    if (cpuid(0x80000000, 0).eax < 0x8000000a || !(cpuid(0x80000001, 0).ecx & (1u << 2)) ||
        !(cpuid(0x8000000a, 0).edx & 1) || (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)) {
        return;
    }
    unsigned cpu = this_cpu()->id;
    this_cpu()->arch.guest_pt = NULL; /* (again) online: no guest's translations here */
    fp_owner[cpu] = NULL;             /* ... nor x87/SSE registers */
    __atomic_or_fetch(&svm_cpus, 1u << cpu, __ATOMIC_RELAXED);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, pa_of(host_save[cpu]));
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    if (cpu == 0) {
        memset(iopm, 0xff, sizeof(iopm));
        memset(msrpm, 0xff, sizeof(msrpm));
        svm_present = true;
        fx_keeps_error_pointers = cpuid(0x80000000, 0).eax < 0x80000008 ||
                                  !(cpuid(0x80000008, 0).ebx & (1u << 2));
        printk("x86: SVM with nested paging (%u ASIDs)\n", cpuid(0x8000000a, 0).ebx);
    }
}

void arch_vcpu_release(struct thread *t)
{
    struct vcpu_private *p = t->vcpu.arch;
    for (unsigned i = 0; i < KEEL_MAX_CPUS; i++) {
        if (fp_owner[i] == t) {
            fp_owner[i] = NULL; /* a new thread at the same address must not find them */
        }
        if (cpus[i].arch.guest_vcpu == p) {
            cpus[i].arch.guest_vcpu = NULL; /* nor its translations */
        }
    }
    if (p->vmcb) {
        quota_free(t->obj.quota, p->vmcb, PAGE_SIZE);
        p->vmcb = NULL;
    }
}

/* The private part's first use: a VMCB and the x87/SSE state after FNINIT. */
static int private_init(struct thread *self, struct vcpu_private *p)
{
    p->vmcb = quota_alloc(self->obj.quota, PAGE_SIZE);
    if (!p->vmcb) {
        return -KEEL_ENOMEM;
    }
    memset(p->vmcb, 0, PAGE_SIZE);
    memset(p->fx, 0, sizeof(p->fx));
    p->fx[0] = 0x7f; /* FCW 0x037f */
    p->fx[1] = 0x03;
    p->fx[24] = 0x80; /* MXCSR 0x1f80 */
    p->fx[25] = 0x1f;
    p->fp_cpu = UINT32_MAX;
    p->flush = true;
    return 0;
}

/* FXSAVE/FXRSTOR need CR0.EM and TS clear: only for the instruction. */
static void fx(bool save, uint8_t *area)
{
    uint64_t cr0 = read_cr0();
    write_cr0(cr0 & ~(CR0_EM | (1ull << 3)));
    if (save) {
        __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])area));
    } else {
        if (fx_keeps_error_pointers) {
            /* FXRSTOR leaves the last x87 instruction and data pointers alone when no x87
             * exception is pending: load them with the kernel's first (another VM's would be
             * there to read with FNSTENV). */
            static const uint32_t zero;
            __asm__ volatile("fnclex\n emms\n fildl %0" : : "m"(zero));
        }
        __asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])area));
    }
    write_cr0(cr0);
}

/* An event the VMM injects, reduced to what the hardware takes (EINVAL for a reserved type, an
 * exception vector out of range or an error code with anything but an exception). */
static bool inject_ok(uint64_t e)
{
    unsigned type = (e >> 8) & 7, vector = e & 0xff;
    if (!(e & KEEL_X86_INJECT_VALID)) {
        return true;
    }
    if (type == 1 || type > 4 || (type == 3 && (vector >= 32 || vector == 2)) ||
        ((e & KEEL_X86_INJECT_ERROR) && type != 3) || (e & EVENT_RESERVED)) {
        return false;
    }
    return true;
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
static void vmcb_load(struct vmcb *v, const struct keel_vcpu_state *k, uint64_t want, uint64_t cr4)
{
    /* Physical interrupts stay the host's (V_INTR_MASKING); the guest's TPR is its CR8. A wanted
     * interrupt window is a virtual interrupt that only exits (VINTR) once the guest can take
     * it. */
    bool window = want & KEEL_X86_WANT_IRQ_WINDOW;
    v->intercept_misc1 = window ? v->intercept_misc1 | SVM_INTERCEPT_VINTR
                                : v->intercept_misc1 & ~(uint32_t)SVM_INTERCEPT_VINTR;
    v->vintr = SVM_VINTR_MASKING | (k->cr8 & 0xf) |
               (window ? SVM_VINTR_V_IRQ | SVM_VINTR_V_IGN_TPR : 0);
    v->clean = 0;
    v->interrupt_shadow = k->interrupt_shadow & 1;
    seg_in(&v->cs, &k->cs);
    bool was_protected = (v->cr0 & 1) && !(v->rflags & (1ull << 17));
    v->efer = k->efer | EFER_SVME;
    v->cr0 = k->cr0;
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

/* The guest's x87/SSE registers into this CPU's, unless they are still there. */
static void fp_get(struct thread *self, struct vcpu_private *p)
{
    unsigned cpu = this_cpu()->id;
    if (fp_owner[cpu] != self || p->fp_cpu != cpu) {
        fx(false, p->fx);
        fp_owner[cpu] = self;
        p->fp_cpu = cpu;
    }
}

/* The guest's timer: due, or this CPU's timer armed for it (its interrupt ends the run, and the
 * next look here finds it due). */
static bool timer_due(uint64_t deadline, struct percpu *c)
{
    if (deadline == UINT64_MAX) {
        return false;
    }
    if (arch_timer_now() >= deadline) {
        return true;
    }
    if (deadline < c->timer_armed) {
        c->timer_armed = deadline;
        arch_timer_set_deadline(deadline);
    }
    return false;
}

/* Whether an event whose delivery an exit cut short (EXITINTINFO) is injected again. INTn, INT3
 * and INTO are not: the guest's rip is still at the instruction, which runs again (re-injected,
 * it would run twice). */
static bool event_redeliver(uint64_t info)
{
    unsigned type = (info >> 8) & 7, vector = info & 0xff;
    bool software = type == 4 || (type == 3 && (vector == 3 || vector == 4));
    return (info & KEEL_X86_INJECT_VALID) && !software;
}

/* The exits the kernel finishes itself (true: back into the guest). #DB and #AC are intercepted
 * only so that a guest whose delivery of them raises them again (a loop in which the CPU never
 * opens an interrupt window: CVE-2015-5307, -8104) still exits: each is given back to it. */
static bool finish_here(struct vmcb *v, uint64_t code)
{
    switch (code) {
    case SVM_EXIT_INTR:
    case SVM_EXIT_NMI:
    case SVM_EXIT_SMI:
    case SVM_EXIT_INIT:
        if (event_redeliver(v->exit_int_info)) {
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

int64_t arch_vcpu_begin(struct vcpu_run *r, struct thread *self, struct task *vm, void *area,
                        uint64_t dirty)
{
    struct keel_vcpu_state *a = area;
    struct vcpu_private *p = self->vcpu.arch;
    if (!svm_present) {
        return -KEEL_EPROTO;
    }
    if (!p->vmcb && private_init(self, p) != 0) {
        return -KEEL_ENOMEM;
    }
    /* What is checked is read once (the VMM may change its area meanwhile). */
    uint64_t inject = __atomic_load_n(&a->inject, __ATOMIC_RELAXED);
    uint64_t cr4 = __atomic_load_n(&a->cr4, __ATOMIC_RELAXED);
    if (!inject_ok(inject) || (cr4 & KEEL_X86_CR4_REFUSED)) {
        return -KEEL_EINVAL;
    }
    struct vmcb *v = p->vmcb;
    uint64_t cr0 = v->cr0, cr3 = v->cr3, cr4_was = v->cr4, efer = v->efer; /* as it last ran */
    r->want = a->want;
    if (self->vcpu.fresh) {
        vmcb_controls(v, vm);
    }
    vmcb_load(v, a, r->want, cr4);
    v->event_inject = inject & ~EVENT_RESERVED;
    if (dirty & KEEL_VCPU_SYNC_SYS) {
        vmcb_load_sys(v, a);
    }
    /* Paging controls the VMM changed (it emulates CR4 writes, and resets vCPUs): the guest's
     * translations go at its next VMRUN, whenever that is (VMRUN keeps those of its ASID). */
    if (self->vcpu.fresh || v->cr0 != cr0 || v->cr3 != cr3 || v->cr4 != cr4_was ||
        v->efer != efer) {
        p->flush = true;
    }
    r->timer_deadline = a->timer_deadline;
    r->area = a;
    r->self = self;
    r->vm = vm;
    r->p = p;
    r->vmcb = v;
    return 0;
}

void arch_vcpu_load(struct vcpu_run *r)
{
    (void)r; /* x87/SSE come at each entry (fp_get), the rest with VMRUN */
}

int64_t arch_vcpu_prepare(struct vcpu_run *r)
{
    struct percpu *c = this_cpu();
    if (timer_due(r->timer_deadline, c)) {
        r->timer_deadline = UINT64_MAX;
        return KEEL_VCPU_EXIT_VTIMER;
    }
    if (!(svm_cpus & (1u << c->id))) {
        return -KEEL_EPROTO; /* moved to a CPU without SVM */
    }
    struct vmcb *v = r->vmcb;
    struct vcpu_private *p = r->p;
    fp_get(r->self, p);
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
uint64_t arch_vcpu_enter(struct vcpu_run *r)
{
    struct vmcb *v = r->vmcb;
    svm_enter(r->area->gpr, pa_of(v), pa_of(host_state[this_cpu()->id]));
    __asm__ volatile("stgi" ::: "memory");
    if (v->exit_code == SVM_EXIT_INTR) { /* (an NMI is taken at the STGI) */
        __asm__ volatile("sti\n nop\n cli" ::: "memory");
    }
    r->p->fx_live = true; /* (saved when the thread leaves the CPU: arch_vcpu_switch_out) */
    return v->exit_code;
}

int64_t arch_vcpu_exit(struct vcpu_run *r, uint64_t code)
{
    struct vmcb *v = r->vmcb;
    if (v->tlb_control == SVM_TLB_FLUSH_ALL && !svm_exit_refused(code)) {
        r->p->flush = false; /* done by this VMRUN */
    }
    v->event_inject = 0; /* delivered, or in exit_int_info */
    if (svm_exit_refused(code)) {
        v->event_inject = r->injecting; /* not given to the guest: still the VMM's */
        return -KEEL_EINVAL;            /* a state the hardware refuses to run */
    }
    if (finish_here(v, code)) {
        return VCPU_GO_ON;
    }
    if (code == SVM_EXIT_VINTR) {
        r->want &= ~KEEL_X86_WANT_IRQ_WINDOW; /* the window it asked for is open */
    }
    return KEEL_VCPU_EXIT_TRAP; /* everything else is the VMM's */
}

void arch_vcpu_put(struct vcpu_run *r)
{
    (void)r; /* the VMCB is memory; x87/SSE stay in the CPU until the thread leaves it */
}

void arch_vcpu_switch_out(struct thread *t)
{
    struct vcpu_private *p = t->vcpu.arch;
    if (p && p->fx_live) {
        fx(true, p->fx);
        p->fx_live = false;
    }
}

void arch_vcpu_end(struct vcpu_run *r, void *area)
{
    struct keel_vcpu_state *a = area;
    vmcb_save(r->vmcb, a);
    a->want = r->want;
    a->timer_deadline = r->timer_deadline;
    a->features = KEEL_VCPU_X86_SVM;
    uint64_t want = __atomic_load_n(&a->sync.want, __ATOMIC_RELAXED);
    if (want & KEEL_VCPU_SYNC_SYS) {
        vmcb_save_sys(r->vmcb, a);
    }
    a->sync.valid = want & KEEL_VCPU_SYNC_SYS;
}

void arch_vcpu_sync(struct thread *t, void *area)
{
    struct vcpu_private *p = t->vcpu.arch;
    struct keel_vcpu_state *a = area;
    if (p->vmcb) {
        vmcb_save_sys(p->vmcb, a);
    }
    a->sync.valid = KEEL_VCPU_SYNC_SYS;
}

int64_t arch_task_map_virt_cpuif(struct task *t, gpa_t gpa)
{
    (void)t;
    (void)gpa;
    return -KEEL_EPROTO; /* no memory-mapped virtual CPU interface here */
}

// SPDX-License-Identifier: MIT
/*
 * Extended vCPU mode on x86_64: the hooks of keel/arch/vcpu_ext.h and what both back ends share
 * (vcpu_x86.h). The checks on what the VMM asks are made here, once, on values read once (the
 * VMM may change its area at any time), so that SVM and VT-x refuse the same states alike.
 *
 * x87/SSE: Keel and its tasks use none (CR0.EM at user level); a guest's registers live in the
 * thread's private part while it is out (FXSAVE), and are reloaded only when another vCPU used
 * the CPU's registers since.
 */
#include "vcpu_x86.h"
#include <keel/arch/vcpu_ext.h>
#include <keel/thread.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/arch/timer.h>
#include <arch/msr.h>
#include <arch/x86.h>
#include <uapi/keel/err.h>
#include <string.h>
#include "internal.h"

#define CR0_PE 1ull
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define EVENT_RESERVED 0x7ffff000ull /* bits 12-30 of the area's event format */

const uint64_t arch_vcpu_state_size = sizeof(struct keel_vcpu_state);
const uint64_t arch_vcpu_private_size = sizeof(struct vcpu_private);

/* The machine's back end: none (no guests), SVM or VT-x. */
static enum { NO_BACKEND, SVM, VMX } backend;
#define BACKEND(fn, ...) (backend == VMX ? vmx_vcpu_##fn(__VA_ARGS__) : svm_vcpu_##fn(__VA_ARGS__))
static struct thread *fp_owner[KEEL_MAX_CPUS]; /* whose registers each CPU's x87/SSE hold */
/* AMD CPUs without CPUID 0x80000008 EBX[2] (RstrFpErrPtrs): FXRSTOR does not always restore
 * FIP/FDP/FOP. (Intel's always do.) */
static bool fx_keeps_error_pointers;

void vcpu_x86_init_cpu(void)
{
    struct percpu *c = this_cpu();
    c->arch.guest_pt = NULL; /* (again) online: no guest's translations here */
    c->arch.guest_vcpu = NULL;
    fp_owner[c->id] = NULL; /* ... nor x87/SSE registers */
    if (c->id == 0) {
        backend = svm_present ? SVM : vmx_present ? VMX : NO_BACKEND;
        fx_keeps_error_pointers = svm_present && (cpuid(0x80000000, 0).eax < 0x80000008 ||
                                                  !(cpuid(0x80000008, 0).ebx & (1u << 2)));
    }
    if (backend && BACKEND(on_cpu, c->id)) {
        /* FXSAVE covers the SSE registers; user level still has none (CR0.EM). */
        __asm__ volatile("mov %0, %%cr4" : : "r"(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT));
    }
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

bool vcpu_x86_timer_due(uint64_t deadline, struct percpu *c)
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

uint32_t vcpu_x86_pm_timer(void)
{
    return (uint32_t)((unsigned __int128)arch_timer_now() * 3579545u / arch_timer_freq()) &
           0xffffff;
}

bool vcpu_x86_redeliver(uint64_t info)
{
    unsigned type = (info >> 8) & 7, vector = info & 0xff;
    bool software = type == 4 || (type == 3 && (vector == 3 || vector == 4));
    return (info & KEEL_X86_INJECT_VALID) && !software;
}

/* The exceptions that push an error code in protected mode (SDM vol. 3, table 6-1: #DF, #TS,
 * #NP, #SS, #GP, #PF, #AC). #CP (21) is left out: VM entry on CPUs without CET wants it without
 * one, and no guest here has CET. */
static bool pushes_error_code(unsigned vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
}

/* An event the VMM injects, checked as both back ends' hardware would have it (EINVAL): a known
 * type (external interrupt, NMI with vector 2, exception 0-31 but 2, software interrupt), no
 * reserved bits, and an error code of at most 16 bits exactly with the exceptions that push one
 * in protected mode. In real mode no exception pushes one: the code is dropped; without the
 * error-code bit the upper half is ignored (as EVENTINJ does). Returns the event to inject, or
 * UINT64_MAX. */
static uint64_t inject_checked(uint64_t e, uint64_t cr0)
{
    unsigned type = (e >> 8) & 7, vector = e & 0xff;
    bool error = e & KEEL_X86_INJECT_ERROR;
    if (!(e & KEEL_X86_INJECT_VALID)) {
        return 0;
    }
    if (!error || !(cr0 & CR0_PE)) {
        e &= ~(KEEL_X86_INJECT_ERROR | 0xffffffff00000000ull);
        error = false;
        if (type == 3 && (cr0 & CR0_PE) && pushes_error_code(vector)) {
            return UINT64_MAX; /* the code the exception pushes is missing */
        }
    }
    if (type == 1 || type > 4 || (e & EVENT_RESERVED) || (type == 2 && vector != 2) ||
        (type == 3 && (vector >= 32 || vector == 2)) || (error && type != 3) ||
        (e >> 32) > 0xffffu || (error && !pushes_error_code(vector))) {
        return UINT64_MAX;
    }
    return e;
}

static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va; /* 48-bit addresses (no LA57 here) */
}

/* The system-call MSRs of the SYNC_SYS group as WRMSR takes them (both back ends alike):
 * canonical addresses, SFMASK's upper half clear. */
static bool sys_msrs_ok(const struct keel_x86_sys *s)
{
    return canonical(s->lstar) && canonical(s->cstar) && canonical(s->kernel_gs_base) &&
           !(s->sfmask >> 32);
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
    if (backend && p->hw) {
        BACKEND(release, t, p);
    }
}

int64_t arch_vcpu_begin(struct vcpu_run *r, struct thread *self, struct task *vm, void *area,
                        uint64_t dirty)
{
    struct keel_vcpu_state *a = area;
    struct vcpu_private *p = self->vcpu.arch;
    if (!backend) {
        return -KEEL_EPROTO;
    }
    if (!p->hw) {
        /* The first run of this binding: x87/SSE as after FNINIT, the back end's pages. */
        memset(p->fx, 0, sizeof(p->fx));
        p->fx[0] = 0x7f; /* FCW 0x037f */
        p->fx[1] = 0x03;
        p->fx[24] = 0x80; /* MXCSR 0x1f80 */
        p->fx[25] = 0x1f;
        p->fp_cpu = UINT32_MAX;
        p->flush = true;
        if (BACKEND(init, self, p) != 0) {
            return -KEEL_ENOMEM;
        }
    }
    /* What is checked is read once (the VMM may change its area meanwhile). */
    uint64_t cr0 = __atomic_load_n(&a->cr0, __ATOMIC_RELAXED);
    uint64_t cr4 = __atomic_load_n(&a->cr4, __ATOMIC_RELAXED);
    uint64_t inject = inject_checked(__atomic_load_n(&a->inject, __ATOMIC_RELAXED), cr0);
    if (inject == UINT64_MAX || (cr4 & KEEL_X86_CR4_REFUSED)) {
        return -KEEL_EINVAL;
    }
    if ((dirty & KEEL_VCPU_SYNC_SYS) && !sys_msrs_ok(&a->sys)) {
        return -KEEL_EINVAL; /* (VT-x loads them with WRMSR, and checks its own copy again) */
    }
    *r = (struct vcpu_run){ 0 };
    r->area = a;
    r->want = a->want;
    r->timer_deadline = a->timer_deadline;
    uint64_t pm = __atomic_load_n(&a->pm_timer_port, __ATOMIC_RELAXED);
    r->pm_timer_port = pm <= 0xfffc ? (uint16_t)pm : 0; /* (a dword's port: any other is none) */
    r->self = self;
    r->vm = vm;
    r->p = p;
    return BACKEND(load, r, a, dirty, inject, cr0, cr4);
}

void arch_vcpu_load(struct vcpu_run *r)
{
    (void)r; /* x87/SSE come at each entry (fp_get), the rest with the entry */
}

int64_t arch_vcpu_prepare(struct vcpu_run *r)
{
    struct percpu *c = this_cpu();
    if (vcpu_x86_timer_due(r->timer_deadline, c)) {
        r->timer_deadline = UINT64_MAX;
        return KEEL_VCPU_EXIT_VTIMER;
    }
    if (!BACKEND(on_cpu, c->id)) {
        return -KEEL_EPROTO; /* moved to a CPU without it */
    }
    fp_get(r->self, r->p);
    return BACKEND(prepare, r, c);
}

uint64_t arch_vcpu_enter(struct vcpu_run *r)
{
    uint64_t raw = BACKEND(enter, r);
    r->p->fx_live = true; /* (saved when the thread leaves the CPU: arch_vcpu_switch_out) */
    return raw;
}

int64_t arch_vcpu_exit(struct vcpu_run *r, uint64_t raw)
{
    return BACKEND(exit, r, raw);
}

void arch_vcpu_put(struct vcpu_run *r)
{
    BACKEND(put, r);
}

void arch_vcpu_switch_out(struct thread *t)
{
    struct vcpu_private *p = t->vcpu.arch;
    if (p && p->fx_live) {
        fx(true, p->fx);
        p->fx_live = false;
    }
    if (p && backend) {
        BACKEND(switch_out, p);
    }
}

void arch_vcpu_end(struct vcpu_run *r, void *area)
{
    struct keel_vcpu_state *a = area;
    BACKEND(save, r, a);
    a->want = r->want;
    a->timer_deadline = r->timer_deadline;
    a->features = backend == VMX ? KEEL_VCPU_X86_VMX : KEEL_VCPU_X86_SVM;
    uint64_t want = __atomic_load_n(&a->sync.want, __ATOMIC_RELAXED);
    if (want & KEEL_VCPU_SYNC_SYS) {
        BACKEND(save_sys, r->p, a);
    }
    a->sync.valid = want & KEEL_VCPU_SYNC_SYS;
}

void arch_vcpu_sync(struct thread *t, void *area)
{
    struct vcpu_private *p = t->vcpu.arch;
    struct keel_vcpu_state *a = area;
    if (backend && p->hw) {
        BACKEND(save_sys, p, a);
    }
    a->sync.valid = KEEL_VCPU_SYNC_SYS;
}

int64_t arch_task_map_virt_cpuif(struct task *t, gpa_t gpa)
{
    (void)t;
    (void)gpa;
    return -KEEL_EPROTO; /* no memory-mapped virtual CPU interface here */
}

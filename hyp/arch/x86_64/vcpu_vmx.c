// SPDX-License-Identifier: MIT
/*
 * The Intel VT-x back end of extended vCPU mode (vcpu_x86.h): the guest runs under VMLAUNCH /
 * VMRESUME with the VM task's table (EPT format, pt.c) as its EPT, from a VMCS per vCPU with the
 * controls vmx.c chose (every interrupt, port, MSR, HLT, debug register and CR4 change exits). The
 * state area is the same as with SVM: this file turns the VMCS into it and back (segment
 * attributes, events, exit reasons and their information in the area's format), so that the VMM
 * does not know which back end runs.
 *
 * Where the VMCS is: a VMCS is active on at most one CPU, and a CPU's cached copy must be written
 * back there (VMCLEAR) before another CPU loads it. A vCPU's VMCS stays active on its CPU while
 * its thread runs there (its exits to the VMM cost no VMCLEAR); when the thread leaves the CPU
 * (arch_vcpu_switch_out, on that CPU) the VMCS is cleared, so that wherever the thread runs next
 * it loads it anew (VMPTRLD, then VMLAUNCH).
 *
 * What VMX does not switch, the kernel does: the guest's CR2 (loaded before the entry, read after
 * the exit), its system-call MSRs (STAR, LSTAR, SFMASK, KERNEL_GS_BASE: loaded before the first
 * entry of a resume, the host's back when the resume ends or the CPU is wanted), DR6 (the
 * guest's debug register accesses exit: it is kept here), and the host's GDTR and IDTR limits,
 * which a VM exit sets to 0xffff.
 *
 * A guest entered with RFLAGS.IF clear runs with the VMX-preemption timer armed for the kernel's
 * next timer deadline, at most a millisecond away: Bochs 2.7 decides whether interrupts are
 * blocked when IF is loaded at VM entry, before it is in the guest, so such a guest was never
 * interrupted (with external-interrupt exiting, IF must not matter: SDM vol. 3, 26.2). On
 * hardware it costs one exit per millisecond that a guest spins with interrupts off.
 *
 * CR0.NE must stay set in VMX operation: the guest's own value is in the read shadow, and a MOV
 * to CR0 that changes it exits; the kernel takes the new value into the shadow and lets the
 * instruction run again. CR4 is the VMM's (as with SVM): every change exits (all bits masked);
 * the guest reads its own value from the shadow, VMXE stays set underneath.
 */
#include "vcpu_x86.h"
#include <keel/arch/vcpu_ext.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/percpu.h>
#include <keel/quota.h>
#include <keel/printk.h>
#include <keel/pt_walk.h>
#include <keel/arch/timer.h>
#include <arch/asm.h>
#include <arch/mmu.h>
#include <arch/msr.h>
#include <arch/vmx.h>
#include <arch/x86.h>
#include <uapi/keel/err.h>
#include <string.h>
#include "internal.h"

#define VPIDS 65536   /* 16 bits; 0 is the host's */
#define SHARED_VPID 1 /* when all others are taken: the vCPUs with it flush as they take turns */
#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LMA (1ull << 10)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define X86_DB 1
#define X86_AC 17
#define X86_MC 18
#define INTERRUPTIBILITY_STI 1u
#define INTERRUPTIBILITY_MOV_SS 2u
#define INTERRUPTIBILITY_NMI 8u
#define PENDING_DBG_BS (1ull << 14)
#define VAPIC_TPR 0x80
#define VMFAIL (1ull << 63) /* enter's answer when VMLAUNCH/VMRESUME did not enter */
#define EXIT_REFUSED UINT64_MAX

/* vmx_enter.S: 0 after a VM exit, 1 (VMfailInvalid) or 2 (VMfailValid) when there was none. */
uint64_t vmx_enter(uint64_t *gpr, uint64_t launched);
extern char vmx_exit_point[];

static uint64_t pa_of(const void *p)
{
    return pa_val(pa_from_kva(p));
}

struct descriptor_table {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* This CPU's GDT and IDT as the kernel loaded them (a VM exit leaves their limits at 0xffff). */
static struct descriptor_table host_gdt[KEEL_MAX_CPUS], host_idt[KEEL_MAX_CPUS];

bool vmx_vcpu_on_cpu(unsigned cpu)
{
    return vmx_usable_on(cpu);
}

/* Area segments carry SVM's packed attributes (bits 0-7 type, S, DPL, P; 8-11 AVL, L, D/B, G);
 * VMX's access rights have the upper four at 12-15, and a segment that is not present is
 * "unusable" (bit 16). */
static uint32_t ar_from_attr(uint16_t attr)
{
    return (attr & 0x80) ? (attr & 0xffu) | (uint32_t)(attr & 0xf00) << 4 : VMX_AR_UNUSABLE;
}

static uint16_t attr_from_ar(uint32_t ar)
{
    uint16_t attr = (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00));
    return ar & VMX_AR_UNUSABLE ? attr & ~0x80u : attr;
}

static void seg_in(unsigned i, const struct keel_x86_segment *s)
{
    vmwrite(VMCS_GUEST_SEL(i), s->selector);
    vmwrite(VMCS_GUEST_AR(i), ar_from_attr(s->attr));
    vmwrite(VMCS_GUEST_LIMIT(i), s->limit);
    vmwrite(VMCS_GUEST_BASE(i), s->base);
}

static void seg_out(struct keel_x86_segment *s, unsigned i)
{
    s->selector = (uint16_t)vmread(VMCS_GUEST_SEL(i));
    s->attr = attr_from_ar((uint32_t)vmread(VMCS_GUEST_AR(i)));
    s->limit = (uint32_t)vmread(VMCS_GUEST_LIMIT(i));
    s->base = vmread(VMCS_GUEST_BASE(i));
}

/* The vCPU's VMCS the current one on this CPU, with this CPU's host state in it. */
static bool vmcs_current(struct vcpu_private *p, struct percpu *c)
{
    if (p->vmcs_cpu == c->id + 1) {
        return true;
    }
    if (p->vmcs_cpu != 0) {
        panic("VT-x: a VMCS active on CPU %u is wanted on CPU %u", p->vmcs_cpu - 1, c->id);
    }
    uint64_t pa = pa_of(p->hw);
    if (!vmx_cpu_on() || !vmclear(pa) || !vmptrld(pa)) {
        return false;
    }
    p->vmcs_cpu = c->id + 1;
    p->launched = false;
    __asm__ volatile("sgdt %0\n sidt %1" : "=m"(host_gdt[c->id]), "=m"(host_idt[c->id]));
    vmwrite(VMCS_HOST_CR0, read_cr0());
    vmwrite(VMCS_HOST_CR4, read_cr4());
    vmwrite(VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)c->arch.tss);
    vmwrite(VMCS_HOST_GDTR_BASE, host_gdt[c->id].base);
    vmwrite(VMCS_HOST_IDTR_BASE, host_idt[c->id].base);
    vmwrite(VMCS_HOST_GS_BASE, (uint64_t)(uintptr_t)c);
    return true;
}

/* The controls and the host state that are the same on every CPU: when the thread is bound (only
 * the kernel writes the VMCS: they stay). */
static void vmcs_controls(struct vcpu_private *p, const struct task *vm)
{
    vmwrite(VMCS_LINK_POINTER, ~0ull);
    vmwrite(VMCS_PIN_CTLS, vmx_caps.pin);
    vmwrite(VMCS_PROC_CTLS, vmx_caps.proc);
    vmwrite(VMCS_PROC2_CTLS, vmx_caps.proc2);
    vmwrite(VMCS_EXIT_CTLS, vmx_caps.exit);
    vmwrite(VMCS_ENTRY_CTLS, vmx_caps.entry);
    vmwrite(VMCS_EXCEPTION_BITMAP, (1u << X86_DB) | (1u << X86_AC) | (1u << X86_MC));
    vmwrite(VMCS_CR3_TARGET_COUNT, 0);
    vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(VMCS_CR0_MASK, vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG));
    vmwrite(VMCS_CR4_MASK, ~0ull);
    vmwrite(VMCS_VPID, p->vpid);
    vmwrite(VMCS_EPTP, vm->mem.pt.cr3 | 6 | (3 << 3)); /* write-back, 4 levels */
    vmwrite(VMCS_VAPIC_PAGE, pa_of(p->vapic));
    vmwrite(VMCS_TPR_THRESHOLD, 0);
    vmwrite(VMCS_HOST_CS_SEL, GDT_KERNEL_CS);
    vmwrite(VMCS_HOST_SS_SEL, GDT_KERNEL_DS);
    vmwrite(VMCS_HOST_DS_SEL, GDT_KERNEL_DS);
    vmwrite(VMCS_HOST_ES_SEL, GDT_KERNEL_DS);
    vmwrite(VMCS_HOST_FS_SEL, 0);
    vmwrite(VMCS_HOST_GS_SEL, 0);
    vmwrite(VMCS_HOST_TR_SEL, GDT_TSS);
    vmwrite(VMCS_HOST_FS_BASE, 0);
    vmwrite(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
    vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER));
    vmwrite(VMCS_HOST_SYSENTER_CS, 0);
    vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
    vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
    vmwrite(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_point);
    vmwrite(VMCS_GUEST_ACTIVITY, 0);
    vmwrite(VMCS_GUEST_DEBUGCTL, 0);
    vmwrite(VMCS_GUEST_PENDING_DBG, 0);
    vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmwrite(VMCS_ENTRY_INTR_INFO, 0);
}

/* Each vCPU has its own VPID while its binding lasts (taken at its first run, under the big lock
 * as every vCPU hook): its guest's translations are its own, in no other vCPU's way. A VPID
 * given back may still tag translations in the CPUs it ran on: the next vCPU with it flushes
 * them on each CPU it comes to, as every vCPU does on a CPU it did not run on last. When all are
 * taken (they are not charged to a quota: one VMM must not keep others' vCPUs from running),
 * vCPUs share VPID 1 and flush whenever a CPU enters another of them than last time. */
static uint64_t vpid_used[VPIDS / 64] = { 3 }; /* (VPID 0: the host; 1: shared) */

static uint16_t vpid_take(void)
{
    for (unsigned w = 0; w < VPIDS / 64; w++) {
        if (~vpid_used[w]) {
            unsigned b = (unsigned)__builtin_ctzll(~vpid_used[w]);
            vpid_used[w] |= 1ull << b;
            return (uint16_t)(w * 64 + b);
        }
    }
    return 0; /* all taken */
}

static void vpid_give_back(uint16_t vpid)
{
    if (vpid > SHARED_VPID) {
        vpid_used[vpid / 64] &= ~(1ull << (vpid % 64));
    }
}

int vmx_vcpu_init(struct thread *self, struct vcpu_private *p)
{
    p->vpid = vpid_take();
    if (!p->vpid) {
        p->vpid = SHARED_VPID;
    }
    p->hw = quota_alloc(self->obj.quota, PAGE_SIZE);
    p->vapic = p->hw ? quota_alloc(self->obj.quota, PAGE_SIZE) : NULL;
    if (!p->vapic) {
        if (p->hw) {
            quota_free(self->obj.quota, p->hw, PAGE_SIZE);
            p->hw = NULL;
        }
        vpid_give_back(p->vpid);
        p->vpid = 0;
        return -KEEL_ENOMEM;
    }
    memset(p->hw, 0, PAGE_SIZE);
    memset(p->vapic, 0, PAGE_SIZE);
    *(uint32_t *)p->hw = vmx_caps.revision;
    p->vmcs_cpu = 0;
    p->launched = false;
    p->msrs_live = false;
    p->dr6 = 0xffff0ff0;
    return 0;
}

/* The VMCS leaves the CPU it is active on (only there can it be cleared). */
static void vmcs_clear(struct vcpu_private *p)
{
    unsigned me = this_cpu()->id;
    if (p->vmcs_cpu == me + 1) {
        vmclear(pa_of(p->hw));
        p->vmcs_cpu = 0;
        p->launched = false;
    } else if (p->vmcs_cpu != 0) {
        /* Its thread switched away from that CPU (thread_defer_free waits for it): not here. */
        panic("VT-x: a VMCS active on CPU %u left from CPU %u", p->vmcs_cpu - 1, me);
    }
}

void vmx_vcpu_release(struct thread *t, struct vcpu_private *p)
{
    vmcs_clear(p);
    quota_free(t->obj.quota, p->vapic, PAGE_SIZE);
    quota_free(t->obj.quota, p->hw, PAGE_SIZE);
    p->hw = NULL;
    p->vapic = NULL;
    vpid_give_back(p->vpid);
    p->vpid = 0;
}

void vmx_vcpu_switch_out(struct vcpu_private *p)
{
    if (p->hw) {
        vmcs_clear(p);
    }
}

/* The guest's view of CR0: its own NE (the read shadow) over the hardware's. */
static uint64_t guest_cr0(void)
{
    uint64_t mask = vmread(VMCS_CR0_MASK);
    return (vmread(VMCS_GUEST_CR0) & ~mask) | (vmread(VMCS_CR0_SHADOW) & mask);
}

/* PAE paging outside long mode: VM entry takes the four PDPTEs from the VMCS, not from memory.
 * They are read from the guest's page at CR3 (through the EPT): false when it is not RAM. */
static bool load_pdptes(const struct task *vm, uint64_t cr3)
{
    struct pt_table t = { vm->mem.pt.fmt, vm->mem.pt.root, 4 };
    uint64_t gpa = cr3 & 0xffffffe0u;
    unsigned level;
    const uint64_t *leaf = pt_lookup(&t, va_init(gpa), &level);
    if (!leaf || t.fmt->device(*leaf)) {
        return false;
    }
    uint64_t pa = pa_val(t.fmt->addr(*leaf)) + (gpa & (pt_level_size(level) - 1));
    const uint64_t *pdpte = kva_from_pa(pa_init(pa));
    for (unsigned i = 0; i < 4; i++) {
        vmwrite(VMCS_GUEST_PDPTE(i), pdpte[i]);
    }
    return true;
}

static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va; /* 48-bit addresses (no LA57 here) */
}

/* KEEL_VCPU_SYNC_SYS into the VMCS and the private part (the VMM wrote it): false for MSR values
 * WRMSR would refuse (#GP in the kernel), which the kernel loads itself. */
static bool load_sys(struct vcpu_private *p, const struct keel_vcpu_state *k)
{
    const struct keel_x86_sys *s = &k->sys;
    uint64_t lstar = s->lstar, cstar = s->cstar, sfmask = s->sfmask, kgs = s->kernel_gs_base;
    if (!canonical(lstar) || !canonical(cstar) || !canonical(kgs) || (sfmask >> 32)) {
        return false;
    }
    seg_in(VMX_SEG_ES, &s->es);
    seg_in(VMX_SEG_SS, &s->ss);
    seg_in(VMX_SEG_DS, &s->ds);
    seg_in(VMX_SEG_FS, &s->fs);
    seg_in(VMX_SEG_GS, &s->gs);
    seg_in(VMX_SEG_LDTR, &s->ldtr);
    seg_in(VMX_SEG_TR, &s->tr);
    vmwrite(VMCS_GUEST_GDTR_BASE, s->gdtr.base);
    vmwrite(VMCS_GUEST_GDTR_LIMIT, s->gdtr.limit);
    vmwrite(VMCS_GUEST_IDTR_BASE, s->idtr.base);
    vmwrite(VMCS_GUEST_IDTR_LIMIT, s->idtr.limit);
    vmwrite(VMCS_GUEST_DR7, s->dr7 & ~0xffull); /* no breakpoint enables: DR0-3 are not its */
    vmwrite(VMCS_GUEST_PAT, s->pat);
    vmwrite(VMCS_GUEST_SYSENTER_CS, s->sysenter_cs);
    vmwrite(VMCS_GUEST_SYSENTER_ESP, s->sysenter_esp);
    vmwrite(VMCS_GUEST_SYSENTER_EIP, s->sysenter_eip);
    p->cr2 = s->cr2;
    p->dr6 = s->dr6;
    p->star = s->star;
    p->lstar = lstar;
    p->cstar = cstar;
    p->sfmask = sfmask;
    p->kernel_gs_base = kgs;
    p->msrs_live = false; /* the CPU's are not these */
    return true;
}

int64_t vmx_vcpu_load(struct vcpu_run *r, const struct keel_vcpu_state *a, uint64_t dirty,
                      uint64_t inject, uint64_t cr0, uint64_t cr4)
{
    struct vcpu_private *p = r->p;
    struct percpu *c = this_cpu();
    unsigned type = (inject >> 8) & 7;
    if (!vmx_vcpu_on_cpu(c->id) || !vmcs_current(p, c)) {
        return -KEEL_EPROTO;
    }
    if ((inject & KEEL_X86_INJECT_VALID) && type == VMX_INTR_SOFT_INT &&
        !(vmx_caps.misc & VMX_MISC_INJECT_LEN0)) {
        return -KEEL_EINVAL; /* INTn pushes rip + its length here: a length the area has not */
    }
    if (r->self->vcpu.fresh) {
        vmcs_controls(p, r->vm);
    }
    uint64_t cr0_was = guest_cr0(), cr3_was = vmread(VMCS_GUEST_CR3);
    uint64_t cr4_was = vmread(VMCS_CR4_SHADOW), efer_was = vmread(VMCS_GUEST_EFER);
    uint64_t cr0_mask = vmread(VMCS_CR0_MASK);
    uint64_t cr3 = __atomic_load_n(&a->cr3, __ATOMIC_RELAXED);
    uint64_t efer = __atomic_load_n(&a->efer, __ATOMIC_RELAXED);
    vmwrite(VMCS_GUEST_CR0, cr0 | cr0_mask);
    vmwrite(VMCS_CR0_SHADOW, cr0);
    vmwrite(VMCS_GUEST_CR3, cr3);
    vmwrite(VMCS_GUEST_CR4, cr4 | vmx_caps.cr4_fixed0);
    vmwrite(VMCS_CR4_SHADOW, cr4);
    vmwrite(VMCS_GUEST_EFER, efer);
    vmwrite(VMCS_ENTRY_CTLS, vmx_caps.entry | (efer & EFER_LMA ? VMX_ENTRY_IA32E : 0));
    vmwrite(VMCS_GUEST_RIP, a->rip);
    vmwrite(VMCS_GUEST_RSP, a->gpr[4]);
    uint64_t rflags = a->rflags;
    vmwrite(VMCS_GUEST_RFLAGS, rflags);
    p->vapic[VAPIC_TPR] = (uint8_t)((a->cr8 & 0xf) << 4);
    seg_in(VMX_SEG_CS, &a->cs);
    /* The shadow: an sti's (IF set) or a mov ss's. An injected interrupt or NMI is delivered
     * before the guest's next instruction, as SVM does (VMX refuses one under a shadow). With
     * a shadow and TF, the single-step trap is pending (as VM entry checks). */
    uint32_t blocking = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~3u;
    bool event = (inject & KEEL_X86_INJECT_VALID) && (type == 0 || type == 2);
    if ((a->interrupt_shadow & 1) && !event) {
        blocking |= rflags & RFLAGS_IF ? INTERRUPTIBILITY_STI : INTERRUPTIBILITY_MOV_SS;
    }
    vmwrite(VMCS_GUEST_INTERRUPTIBILITY, blocking);
    uint64_t pending = vmread(VMCS_GUEST_PENDING_DBG) & ~PENDING_DBG_BS;
    vmwrite(VMCS_GUEST_PENDING_DBG,
            pending | ((blocking & 3) && (rflags & RFLAGS_TF) ? PENDING_DBG_BS : 0));
    uint32_t proc = vmx_caps.proc;
    if (r->want & KEEL_X86_WANT_IRQ_WINDOW) {
        proc |= VMX_PROC_INTR_WINDOW;
    }
    vmwrite(VMCS_PROC_CTLS, proc);
    vmwrite(VMCS_ENTRY_INTR_INFO, inject & 0xffffffffu);
    vmwrite(VMCS_ENTRY_ERROR_CODE, inject >> 32);
    vmwrite(VMCS_ENTRY_INSN_LEN, 0);
    r->injecting = inject;
    if ((dirty & KEEL_VCPU_SYNC_SYS) && !load_sys(p, a)) {
        return -KEEL_EINVAL;
    }
    bool changed = cr0 != cr0_was || cr3 != cr3_was || cr4 != cr4_was || efer != efer_was;
    if (r->self->vcpu.fresh || changed) {
        p->flush = true; /* paging controls the VMM changed: the guest's translations go */
    }
    /* (A state whose PDPTEs could not be read is looked at again, changed or not.) */
    if ((r->self->vcpu.fresh || changed || p->pdptes_stale || (dirty & KEEL_VCPU_SYNC_SYS)) &&
        (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA)) {
        p->pdptes_stale = !load_pdptes(r->vm, cr3);
        if (p->pdptes_stale) {
            return -KEEL_EINVAL;
        }
    }
    return 0;
}

/* The area's event format from VMX's interruption information and error code: software
 * exceptions (INT3, INTO) as exceptions and ICEBP as a software interrupt, as SVM reports them. */
static uint64_t event_from(uint32_t info, uint32_t error)
{
    if (!(info & VMX_INTR_VALID)) {
        return 0;
    }
    unsigned type = VMX_INTR_TYPE(info);
    unsigned area_type = type == VMX_INTR_SOFT_EXCEPTION        ? 3
                         : type == VMX_INTR_PRIV_SOFT_EXCEPTION ? 4
                                                                : type;
    uint64_t e = KEEL_X86_INJECT_VALID | (info & 0xff) | (uint64_t)area_type << 8;
    return info & VMX_INTR_ERROR ? e | KEEL_X86_INJECT_ERROR | (uint64_t)error << 32 : e;
}

int64_t vmx_vcpu_prepare(struct vcpu_run *r, struct percpu *c)
{
    struct vcpu_private *p = r->p;
    if (!vmcs_current(p, c)) {
        return -KEEL_EPROTO;
    }
    vmwrite(VMCS_HOST_CR3, read_cr3());
    /* Translations are tagged by VPID (this vCPU's) and EPTP (its VM's table): another vCPU's or
     * VM's in this TLB are not in the way. What may be stale here: this VM's table's, when it
     * changed since this CPU last flushed it (its bit in stale_cpus, set before the shootdown
     * that made this CPU leave the guest), or a flush was asked of this CPU (guest_tlb_stale); and
     * this vCPU's own, when it ran elsewhere meanwhile (its guest's INVLPGs and CR3 loads there
     * did not reach this TLB), its paging controls changed (flush), or it ran another VM. */
    struct arch_pt *pt = &r->vm->mem.pt;
    uint32_t me = 1u << c->id;
    c->arch.guest_pt = pt; /* (a shootdown of this table now reaches this CPU) */
    if (c->arch.guest_tlb_stale || (pt->stale_cpus & me)) {
        invept(vmx_caps.ept_vpid & VMX_EPT_CAP_INVEPT_SINGLE ? 1 : 2, pt->cr3 | 6 | (3 << 3));
        pt->stale_cpus &= ~me;
        c->arch.guest_tlb_stale = false; /* (another VM's table: its own bit says) */
    }
    bool shared = p->vpid == SHARED_VPID && c->arch.guest_vcpu != p;
    if (p->flush || p->ran_on != c->id + 1 || p->ran_pt != pt || shared) {
        invvpid(vmx_caps.ept_vpid & VMX_VPID_CAP_SINGLE ? 1 : 2, p->vpid);
        p->flush = false;
        p->ran_pt = pt;
    }
    c->arch.guest_vcpu = p; /* (what the shared VPID's translations are now) */
    p->ran_on = c->id + 1;
    if (!p->msrs_live) {
        wrmsr(MSR_STAR, p->star);
        wrmsr(MSR_LSTAR, p->lstar);
        wrmsr(MSR_FMASK, p->sfmask);
        wrmsr(MSR_KERNEL_GS_BASE, p->kernel_gs_base);
        p->msrs_live = true;
    }
    if (read_cr2() != p->cr2) {
        write_cr2(p->cr2);
    }
    uint32_t pin = vmx_caps.pin;
    if (vmx_caps.preemption_timer && !(vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
        uint64_t now = arch_timer_now(), ms = arch_timer_freq() / 1000;
        uint64_t ticks = c->timer_armed > now ? c->timer_armed - now : 0;
        ticks = (ticks < ms ? ticks : ms) >> (vmx_caps.misc & 0x1f);
        pin |= VMX_PIN_PREEMPTION_TIMER;
        vmwrite(VMCS_PREEMPTION_TIMER, ticks);
    }
    vmwrite(VMCS_PIN_CTLS, pin);
    /* What this entry is to deliver (the VMM's event, or one the kernel gives again). */
    r->injecting = event_from((uint32_t)vmread(VMCS_ENTRY_INTR_INFO),
                              (uint32_t)vmread(VMCS_ENTRY_ERROR_CODE));
    return 0;
}

/* One VMLAUNCH or VMRESUME with interrupts masked; an interrupt that ended the run is taken here,
 * through the IDT, without the big lock (as in the idle loop), an NMI through its gate. */
uint64_t vmx_vcpu_enter(struct vcpu_run *r)
{
    struct vcpu_private *p = r->p;
    unsigned cpu = this_cpu()->id;
    uint64_t failed = vmx_enter(r->area->gpr, p->launched);
    if (failed) {
        return VMFAIL | failed;
    }
    __asm__ volatile("lgdt %0\n lidt %1" : : "m"(host_gdt[cpu]), "m"(host_idt[cpu]));
    p->cr2 = read_cr2();
    uint64_t reason = vmread(VMCS_EXIT_REASON);
    if (!(reason & VMX_EXIT_ENTRY_FAILED)) {
        p->launched = true;
    }
    if ((reason & 0xffff) == VMX_EXIT_EXT_INTR || (reason & 0xffff) == VMX_EXIT_PREEMPTION_TIMER) {
        __asm__ volatile("sti\n nop\n cli" ::: "memory");
    } else if ((reason & 0xffff) == VMX_EXIT_EXCEPTION_NMI &&
               VMX_INTR_TYPE(vmread(VMCS_EXIT_INTR_INFO)) == VMX_INTR_NMI) {
        __asm__ volatile("int $2" ::: "memory"); /* the host's NMI handler */
    }
    return reason;
}

/* An event whose delivery the exit cut short, delivered again at the next entry. */
static void redeliver(void)
{
    uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
    uint64_t e = event_from(info, (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR));
    if (vcpu_x86_redeliver(e)) {
        vmwrite(VMCS_ENTRY_INTR_INFO, info & (VMX_INTR_VALID | VMX_INTR_ERROR | 0x7ff));
        vmwrite(VMCS_ENTRY_ERROR_CODE, e >> 32);
        if (VMX_INTR_TYPE(info) == VMX_INTR_NMI) {
            /* Its delivery had not begun: NMIs are not blocked yet (VM entry refuses an NMI
             * injected while they are). */
            vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
                    vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~INTERRUPTIBILITY_NMI);
        }
    }
}

static void inject_exception(unsigned vector, bool error)
{
    vmwrite(VMCS_ENTRY_INTR_INFO,
            VMX_INTR_VALID | VMX_INTR_HW_EXCEPTION << 8 | vector | (error ? VMX_INTR_ERROR : 0));
    vmwrite(VMCS_ENTRY_ERROR_CODE, 0);
}

/* The guest's general register n (as an exit qualification numbers them; rsp is the VMCS's). */
static uint64_t gpr(struct vcpu_run *r, unsigned n)
{
    return n == 4 ? vmread(VMCS_GUEST_RSP) : r->area->gpr[n];
}

/* The exits the kernel finishes itself (true: back into the guest). */
static bool finish_here(struct vcpu_run *r, unsigned reason, uint64_t qual)
{
    switch (reason) {
    case VMX_EXIT_IO:
        /* A 32-bit IN (not INS) from the PM timer's port (qualification: size - 1 in 2:0, IN 3,
         * string 4, port 31:16): answered here. */
        if (r->pm_timer_port && (qual & 0x1f) == 0xb && (qual >> 16 & 0xffff) == r->pm_timer_port) {
            r->area->gpr[0] = vcpu_x86_pm_timer();
            vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + vmread(VMCS_EXIT_INSN_LEN));
            return true;
        }
        return false;
    case VMX_EXIT_EXT_INTR:
    case VMX_EXIT_PREEMPTION_TIMER:
    case VMX_EXIT_INIT:
    case VMX_EXIT_SIPI:
    case VMX_EXIT_IO_SMI:
    case VMX_EXIT_OTHER_SMI:
        redeliver();
        return true; /* the host's: taken in vmx_run */
    case VMX_EXIT_EXCEPTION_NMI: {
        uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
        unsigned vector = info & 0xff;
        if (VMX_INTR_TYPE(info) == VMX_INTR_NMI) {
            redeliver();
            return true;
        }
        if (VMX_INTR_TYPE(info) != VMX_INTR_HW_EXCEPTION) {
            return false; /* ICEBP: the VMM's */
        }
        /* #DB and #AC are intercepted only so that a guest whose delivery of them raises them
         * again (CVE-2015-5307, -8104) still exits: each is given back to it. */
        if (vector == X86_DB) {
            r->p->dr6 = (r->p->dr6 & ~0x600full) | (qual & 0x600f);
            inject_exception(X86_DB, false);
            return true;
        }
        if (vector == X86_AC) {
            inject_exception(X86_AC, true);
            return true;
        }
        panic("machine check while a guest ran (rip 0x%lx)", (unsigned long)vmread(VMCS_GUEST_RIP));
    }
    case VMX_EXIT_VMCALL:
        if (r->area->gpr[0] != KEEL_X86_VMMCALL_NULL) {
            return false;
        }
        r->area->gpr[0] = 0; /* the kernel's own hypercall */
        vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + vmread(VMCS_EXIT_INSN_LEN));
        return true;
    case VMX_EXIT_CR_ACCESS:
        if ((qual & 0x3f) == 0) {
            /* MOV to CR0 that changes NE: the new NE into the read shadow, and the instruction
             * again (it exits no more and does the rest itself). */
            uint64_t mask = vmread(VMCS_CR0_MASK), v = gpr(r, (qual >> 8) & 15);
            vmwrite(VMCS_CR0_SHADOW, (vmread(VMCS_CR0_SHADOW) & ~mask) | (v & mask));
            return true;
        }
        return false;
    default:
        return false;
    }
}

/* An exit for the VMM, in the area's format (SVM's exit codes and information words). */
static void translate(struct vcpu_run *r, unsigned reason, uint64_t qual)
{
    uint64_t code = KEEL_X86_EXIT_VMX_OTHER, info1 = reason, info2 = 0;
    switch (reason) {
    case VMX_EXIT_EXCEPTION_NMI:
        code = KEEL_X86_EXIT_ICEBP; /* the only exception left for the VMM (finish_here) */
        info1 = 0;
        break;
    case VMX_EXIT_TRIPLE_FAULT:
        code = KEEL_X86_EXIT_SHUTDOWN;
        info1 = 0;
        break;
    case VMX_EXIT_INTR_WINDOW:
        code = KEEL_X86_EXIT_VINTR;
        info1 = 0;
        r->want &= ~KEEL_X86_WANT_IRQ_WINDOW; /* the window it asked for is open */
        break;
    case VMX_EXIT_TASK_SWITCH:
        code = KEEL_X86_EXIT_TASK_SWITCH;
        info1 = qual & 0xffff; /* the new TSS's selector */
        break;
    case VMX_EXIT_CPUID:
        code = KEEL_X86_EXIT_CPUID;
        info1 = 0;
        break;
    case VMX_EXIT_HLT:
        code = KEEL_X86_EXIT_HLT;
        info1 = 0;
        break;
    case VMX_EXIT_INVD:
        code = KEEL_X86_EXIT_INVD;
        info1 = 0;
        break;
    case VMX_EXIT_RDPMC:
        code = KEEL_X86_EXIT_RDPMC;
        info1 = 0;
        break;
    case VMX_EXIT_VMCALL:
        code = KEEL_X86_EXIT_VMMCALL;
        info1 = 0;
        break;
    case VMX_EXIT_CR_ACCESS: /* MOV to CR4 (nothing else that exits is left to the VMM) */
        code = (qual & 0x3f) == 4 ? KEEL_X86_EXIT_WRITE_CR4 : KEEL_X86_EXIT_VMX_OTHER;
        info1 = (qual & 0x3f) == 4 ? 1ull << 63 | ((qual >> 8) & 15) : reason;
        break;
    case VMX_EXIT_DR_ACCESS:
        code = (qual & (1u << 4) ? KEEL_X86_EXIT_READ_DR0 : KEEL_X86_EXIT_WRITE_DR0) + (qual & 7);
        info1 = (qual >> 8) & 15;
        break;
    case VMX_EXIT_IO: {
        /* SVM's IOIO word: IN 0, string 2, REP 3, size 4-6 (one bit each), address size 7-9
         * (string), segment 10-12, port 16-31; EXITINFO2 the next instruction. */
        unsigned size = (qual & 7) + 1, insn = (unsigned)vmread(VMCS_EXIT_INSN_INFO);
        code = KEEL_X86_EXIT_IOIO;
        info1 = (qual >> 3 & 1) | (qual >> 4 & 1) << 2 | (qual >> 5 & 1) << 3 |
                (size == 1   ? 1u << 4
                 : size == 2 ? 1u << 5
                             : 1u << 6) |
                (qual >> 16 & 0xffff) << 16;
        if (qual & (1u << 4)) {
            /* The address size and (OUTS) segment from the instruction information where the
             * CPU gives them there (IA32_VMX_BASIC[54]), else from the code segment; INS
             * always writes through ES (0). */
            unsigned asz, seg = 3; /* DS */
            if (vmx_caps.basic & VMX_BASIC_INSN_INFO_IO) {
                asz = (insn >> 7) & 3;
                seg = (insn >> 15) & 7;
            } else {
                uint32_t ar = (uint32_t)vmread(VMCS_GUEST_AR(VMX_SEG_CS));
                asz = ar & (1u << 13) ? 2 : ar & (1u << 14) ? 1 : 0;
            }
            info1 |= (1ull << (7 + (asz < 3 ? asz : 2))) | (uint64_t)(qual & 8 ? 0 : seg) << 10;
        }
        info2 = vmread(VMCS_GUEST_RIP) + vmread(VMCS_EXIT_INSN_LEN);
        break;
    }
    case VMX_EXIT_RDMSR:
    case VMX_EXIT_WRMSR:
        code = KEEL_X86_EXIT_MSR;
        info1 = reason == VMX_EXIT_WRMSR;
        break;
    case VMX_EXIT_MWAIT:
        code = KEEL_X86_EXIT_MWAIT;
        info1 = 0;
        break;
    case VMX_EXIT_MONITOR:
        code = KEEL_X86_EXIT_MONITOR;
        info1 = 0;
        break;
    case VMX_EXIT_WBINVD:
        code = KEEL_X86_EXIT_WBINVD;
        info1 = 0;
        break;
    case VMX_EXIT_XSETBV:
        code = KEEL_X86_EXIT_XSETBV;
        info1 = 0;
        break;
    case VMX_EXIT_EPT_VIOLATION:
        /* SVM's nested page fault word: present 0, write 1, user 2 (nested walks are), fetch
         * 4; the final address 32, a guest page-table walk 33; EXITINFO2 the address. */
        code = KEEL_X86_EXIT_NPF;
        info1 = (qual & 0x38 ? 1u : 0) | (qual & 2) | 4u | (qual & 4 ? 1u << 4 : 0);
        info1 |= (qual & (1u << 7)) && !(qual & (1u << 8)) ? 1ull << 33 : 1ull << 32;
        info2 = vmread(VMCS_GUEST_PHYS_ADDR);
        break;
    case VMX_EXIT_GETSEC:
    case VMX_EXIT_INVEPT:
    case VMX_EXIT_INVVPID:
    case VMX_EXIT_VMFUNC:
        code = KEEL_X86_EXIT_VMX_INSN;
        info1 = 0;
        break;
    default:
        if (reason >= VMX_EXIT_VMCLEAR && reason <= VMX_EXIT_VMXON) {
            code = KEEL_X86_EXIT_VMX_INSN;
            info1 = 0;
        }
        break;
    }
    r->exit_code = code;
    r->exit_info1 = info1;
    r->exit_info2 = info2;
    r->exit_int_info = event_from((uint32_t)vmread(VMCS_IDT_VECTORING_INFO),
                                  (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR));
}

int64_t vmx_vcpu_exit(struct vcpu_run *r, uint64_t raw)
{
    struct vcpu_private *p = r->p;
    if (raw & VMFAIL) {
        /* A control field the kernel wrote refused (VMfailValid): the kernel's own mistake,
         * reported (the first few times), and the state not run. */
        static unsigned reported;
        if (reported < 4) {
            reported++;
            printk("VT-x: VM entry refused (VM-instruction error %lu)\n",
                   (raw & 3) == 2 ? (unsigned long)vmread(VMCS_INSN_ERROR) : 0ul);
        }
        r->exit_code = EXIT_REFUSED;
        return -KEEL_EINVAL;
    }
    if ((raw & 0xffff) == VMX_EXIT_MACHINE_CHECK) {
        panic("machine check at a VM entry (rip 0x%lx)", (unsigned long)vmread(VMCS_GUEST_RIP));
    }
    if (raw & VMX_EXIT_ENTRY_FAILED) {
        /* The guest state does not pass VM entry's checks (SVM: VMEXIT_INVALID). The VMCS
         * starts over as a cleared one (its launch state is then known). */
        uint64_t pa = pa_of(p->hw);
        vmclear(pa);
        vmptrld(pa);
        p->launched = false;
        r->exit_code = EXIT_REFUSED;
        return -KEEL_EINVAL;
    }
    vmwrite(VMCS_ENTRY_INTR_INFO, 0); /* delivered (or in the IDT-vectoring information) */
    unsigned reason = raw & 0xffff;
    uint64_t qual = vmread(VMCS_EXIT_QUALIFICATION);
    if (reason == VMX_EXIT_EPT_MISCONFIG) {
        panic("VT-x: EPT misconfiguration at 0x%lx", (unsigned long)vmread(VMCS_GUEST_PHYS_ADDR));
    }
    if (finish_here(r, reason, qual)) {
        return VCPU_GO_ON;
    }
    translate(r, reason, qual);
    return KEEL_VCPU_EXIT_TRAP; /* everything else is the VMM's */
}

/* The host's system-call MSRs back (the guest's KERNEL_GS_BASE changes with its SWAPGS). */
void vmx_vcpu_put(struct vcpu_run *r)
{
    struct vcpu_private *p = r->p;
    if (p->msrs_live) {
        p->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
        x86_syscall_msrs();
        p->msrs_live = false;
    }
}

void vmx_vcpu_save(struct vcpu_run *r, struct keel_vcpu_state *a)
{
    struct vcpu_private *p = r->p;
    /* (A resume may end after its thread was switched out, on a CPU that cleared its VMCS, or
     * moved to one without VT-x: the area then keeps what the VMM gave.) */
    if (!vmx_vcpu_on_cpu(this_cpu()->id) || !vmcs_current(p, this_cpu())) {
        return;
    }
    a->rip = vmread(VMCS_GUEST_RIP);
    a->gpr[4] = vmread(VMCS_GUEST_RSP);
    a->rflags = vmread(VMCS_GUEST_RFLAGS);
    a->cr0 = guest_cr0();
    a->cr3 = vmread(VMCS_GUEST_CR3);
    a->cr4 = vmread(VMCS_CR4_SHADOW);
    a->cr8 = p->vapic[VAPIC_TPR] >> 4;
    a->efer = vmread(VMCS_GUEST_EFER);
    seg_out(&a->cs, VMX_SEG_CS);
    a->interrupt_shadow = (vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3) != 0;
    a->exit_code = r->exit_code;
    a->exit_info1 = r->exit_info1;
    a->exit_info2 = r->exit_info2;
    a->exit_int_info = r->exit_int_info;
    /* An event not yet delivered: refused with its state, or an interrupted delivery the kernel
     * was to retry. */
    a->inject = r->exit_code == EXIT_REFUSED ? r->injecting
                                             : event_from((uint32_t)vmread(VMCS_ENTRY_INTR_INFO),
                                                          (uint32_t)vmread(VMCS_ENTRY_ERROR_CODE));
}

void vmx_vcpu_save_sys(struct vcpu_private *p, struct keel_vcpu_state *a)
{
    struct keel_x86_sys *s = &a->sys;
    if (!vmx_vcpu_on_cpu(this_cpu()->id) || !vmcs_current(p, this_cpu())) {
        return;
    }
    seg_out(&s->es, VMX_SEG_ES);
    seg_out(&s->ss, VMX_SEG_SS);
    seg_out(&s->ds, VMX_SEG_DS);
    seg_out(&s->fs, VMX_SEG_FS);
    seg_out(&s->gs, VMX_SEG_GS);
    seg_out(&s->ldtr, VMX_SEG_LDTR);
    seg_out(&s->tr, VMX_SEG_TR);
    s->gdtr = (struct keel_x86_segment){ 0, 0, (uint32_t)vmread(VMCS_GUEST_GDTR_LIMIT),
                                         vmread(VMCS_GUEST_GDTR_BASE) };
    s->idtr = (struct keel_x86_segment){ 0, 0, (uint32_t)vmread(VMCS_GUEST_IDTR_LIMIT),
                                         vmread(VMCS_GUEST_IDTR_BASE) };
    s->cr2 = p->cr2;
    s->dr6 = p->dr6;
    s->dr7 = vmread(VMCS_GUEST_DR7);
    s->star = p->star;
    s->lstar = p->lstar;
    s->cstar = p->cstar;
    s->sfmask = p->sfmask;
    s->kernel_gs_base = p->kernel_gs_base;
    s->sysenter_cs = vmread(VMCS_GUEST_SYSENTER_CS);
    s->sysenter_esp = vmread(VMCS_GUEST_SYSENTER_ESP);
    s->sysenter_eip = vmread(VMCS_GUEST_SYSENTER_EIP);
    s->pat = vmread(VMCS_GUEST_PAT);
}

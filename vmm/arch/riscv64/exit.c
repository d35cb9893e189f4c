// SPDX-License-Identifier: MIT
/*
 * VM exits on riscv64, dispatched by scause: guest-page faults on MMIO (the load or store decoded
 * by insn.c and sent to the device at that address), ecalls from VS-mode for the SBI (sbi.c), and
 * virtual-instruction exceptions (WFI: wait for an interrupt; anything else: an illegal
 * instruction for the guest). An access the VMM cannot decode and a fetch from outside RAM come
 * back to the guest as access faults, as on a bus with nothing there (reported through
 * vm_report(), within its budget). Anything else stops the VM with a message; nothing the guest
 * does stops the VMM.
 */
#include "../../vm.h"
#include "../../vcpu.h"
#include "insn.h"
#include "sbi.h"
#include "plic.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <format.h>
#include <uapi/keel/vcpu.h>
#include <string.h>
#include <stddef.h>

#include <hw/riscv_trap.h>
#define INSN_WFI 0x10500073u
#define VSSTATUS_SIE (1ull << 1)
#define VSSTATUS_SPIE (1ull << 5)
#define VSSTATUS_SPP (1ull << 8)

/* Enters the guest's own trap handler with an exception, as the hardware would have. 0, or -1
 * when its state could not be had. */
static int inject(struct vcpu *v, struct keel_vcpu_state *s, uint64_t cause, uint64_t tval)
{
    if (vcpu_state_sync(v) != 0) {
        return -1;
    }
    uint64_t st = s->sys.vsstatus & ~(VSSTATUS_SPP | VSSTATUS_SPIE | VSSTATUS_SIE);
    st |= (s->priv ? VSSTATUS_SPP : 0) | ((s->sys.vsstatus & VSSTATUS_SIE) ? VSSTATUS_SPIE : 0);
    s->sys.vsstatus = st;
    s->sys.vsepc = s->pc;
    s->sys.vscause = cause;
    s->sys.vstval = tval;
    s->priv = 1;
    s->pc = s->sys.vstvec & ~3ull; /* exceptions go to the base in both modes */
    s->sync.dirty |= KEEL_VCPU_SYNC_SYS;
    return 0;
}

static int mmio(struct vcpu *v, struct keel_vcpu_state *s)
{
    struct vm *vm = v->vm;
    struct mmio_insn m;
    uint32_t raw = 0;
    gpa_t gpa = gpa_init(s->exit_gpa);
    uint64_t t = s->exit_htinst;
    bool ok = (t >> 32) == 0 && insn_decode_mmio((uint32_t)t, true, &m);
    if (!ok && t == 0) {
        ok = insn_fetch(vm, s, s->pc, &raw) && insn_decode_mmio(raw, false, &m);
    }
    if (!ok) {
        bool store = s->exit_scause == EXC_STORE_GUEST_PAGE;
        vm_report(vm, "guest access at 0x%lx by an instruction the VMM cannot decode (pc 0x%lx, "
                  "insn 0x%x): access fault injected", (unsigned long)gpa_val(gpa),
                  (unsigned long)s->pc, raw);
        return inject(v, s, store ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS, s->exit_stval);
    }
    struct mmio_device *d = vm_device_at(vm, gpa);
    uint64_t off = d ? gpa_val(gpa) - gpa_val(d->base) : 0;
    uint64_t value = m.write ? s->x[m.reg] : 0; /* x[0] is always 0 */
    if (m.width < 8) {
        value &= (1ull << (8 * m.width)) - 1;
    }
    ok = vm_device_access(d, off, m.width, m.write, &value);
    if (!ok) {
        char where[48];
        if (d) {
            snformat(where, sizeof(where), "refused by %s", d->name);
        }
        vm_report(vm, "guest %s of %u bytes at 0x%lx: %s (pc 0x%lx)", m.write ? "write" : "read",
                  m.width, (unsigned long)gpa_val(gpa), d ? where : "no device there",
                  (unsigned long)s->pc);
        value = 0; /* reads of nothing return zero; the guest goes on */
    }
    if (!m.write && m.reg != 0) {
        if (m.width < 8) {
            value &= (1ull << (8 * m.width)) - 1;
            if (m.sign && (value >> (8 * m.width - 1)) & 1) {
                value |= ~0ull << (8 * m.width);
            }
        }
        s->x[m.reg] = value;
    }
    s->pc += m.len;
    return 0;
}

/* Whether an interrupt the guest has enabled (vsie, whatever its global SIE) is pending: WFI
 * then goes on at once. */
static bool interrupt_due(const struct keel_vcpu_state *s, uint64_t now)
{
    uint64_t pending = s->hvip;
    if ((s->features & KEEL_VCPU_SSTC) && now >= s->vstimecmp) {
        pending |= KEEL_HVIP_VSTIP;
    }
    return ((pending >> 1) & s->vsie) != 0; /* hvip VS bits sit one above vsie's S bits */
}

/* WFI: the guest has nothing to do until an interrupt. Sleep until its timer is due (a receive
 * that times out) or a kick (an interrupt from another thread) ends the wait. */
static int wait_for_interrupt(struct vcpu *v, struct keel_vcpu_state *s)
{
    s->pc += 4;
    arch_vcpu_before_resume(v);
    uint64_t now = keel_cycles(), freq = rt_timer_freq();
    if (interrupt_due(s, now)) {
        return 0;
    }
    uint64_t us = 1000000; /* no timer armed: look again in a second */
    if ((s->vsie & (1u << 5)) && s->vstimecmp != UINT64_MAX) {
        us = (s->vstimecmp - now) * 1000000 / freq + 1;
    }
    keel_receive(v->kick, us < 1000000 ? (uint32_t)us : 1000000, 0);
    return 0;
}

static int virtual_instruction(struct vcpu *v, struct keel_vcpu_state *s)
{
    uint32_t insn = (uint32_t)s->exit_stval;
    if (insn == 0 && !insn_fetch(v->vm, s, s->pc, &insn)) {
        insn = 0;
    }
    if (insn == INSN_WFI) {
        return wait_for_interrupt(v, s);
    }
    return inject(v, s, EXC_ILLEGAL, insn); /* a hypervisor instruction or CSR: not the guest's */
}

static int trap(struct vcpu *v, struct keel_vcpu_state *s)
{
    switch (s->exit_scause) {
    case EXC_ECALL_VS:
        return sbi_call(v, s);
    case EXC_LOAD_GUEST_PAGE:
    case EXC_STORE_GUEST_PAGE:
        return mmio(v, s);
    case EXC_VIRTUAL_INST:
        return virtual_instruction(v, s);
    case EXC_INST_GUEST_PAGE:
        vm_report(v->vm, "guest fetch at 0x%lx outside its RAM: access fault injected",
                  (unsigned long)s->exit_gpa);
        return inject(v, s, EXC_INST_ACCESS, s->exit_stval);
    default:
        printf("vmm: %s: unhandled exit, scause %lu at pc 0x%lx (stval 0x%lx, guest-physical "
               "0x%lx); stopping the VM\n", v->vm->name, (unsigned long)s->exit_scause,
               (unsigned long)s->pc, (unsigned long)s->exit_stval, (unsigned long)s->exit_gpa);
        return -1;
    }
}

int arch_vcpu_exit(struct vcpu *v, int64_t reason)
{
    switch (reason) {
    case KEEL_VCPU_EXIT_TRAP:
        return trap(v, v->state);
    default: /* EVENT: interrupts and requests are looked at before resuming */
        return 0;
    }
}

void arch_vcpu_before_resume(struct vcpu *v)
{
    struct keel_vcpu_state *s = v->state;
    sbi_take_requests(v, s);
    if (!(s->features & KEEL_VCPU_SSTC) && keel_cycles() >= s->vstimecmp) {
        s->hvip |= KEEL_HVIP_VSTIP; /* no Sstc: the VMM raises the timer interrupt */
    }
    s->hvip = (s->hvip & ~KEEL_HVIP_VSEIP) | (plic_pending(v->vm, v) ? KEEL_HVIP_VSEIP : 0);
}

bool arch_vm_reset(struct vm *vm)
{
    plic_reset(vm);
    for (unsigned i = 0; i < vm->vcpu_count; i++) { /* requests of the old run: gone */
        __atomic_store_n(&vm->vcpus[i].arch.hvip_set, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&vm->vcpus[i].arch.requests, 0, __ATOMIC_RELEASE);
    }
    return true;
}

void arch_vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t ctx)
{
    struct keel_vcpu_state *s = v->state;
    memset(s, 0, sizeof(*s));
    /* The SBI boot convention: a0 the hart id, a1 the device tree; VS-mode, translation off. */
    s->x[10] = v->mpidr;
    s->x[11] = ctx;
    s->pc = entry;
    s->priv = 1;
    s->vstimecmp = UINT64_MAX;
    s->sys.scounteren = 7; /* cycle, time, instret for its user mode, as OpenSBI leaves it */
    s->sync.dirty = KEEL_VCPU_SYNC_SYS;
}

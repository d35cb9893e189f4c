// SPDX-License-Identifier: MIT
/*
 * Fuzz target x86_apic: the x86_64 VMM's interrupt controllers (vmm/arch/x86_64/lapic.c: one
 * xAPIC per vCPU behind one page; ioapic.c: 24 lines, edge and level, remote IRR) driven through
 * their MMIO pages by the vCPUs the input names, by device lines, by resumes with the guest's
 * interrupt flag and shadow from the input, and by the clock moving on (the LAPIC timer).
 *
 * Input: vcpus (1-8), apic-id seed, then operations:
 *   0 vcpu reg width write value32     a LAPIC register from vCPU vcpu (reg: the 16-byte slot
 *                                      of the page; width 4 mostly)
 *   1 off8 width write value32         an I/O APIC access (0x00 index, 0x10 data, else as is)
 *   2 line level                       a device line (vm_irq_set)
 *   3 vcpu rflags_if shadow pending    before resume (pending: an event already there)
 *   4 delta32 shift                    the clock moves on by delta << (shift % 24)
 *   5 vcpu                             ask whether vCPU vcpu has something (HLT)
 *
 * Checked besides the sanitizers: what lapic_before_resume() injects is a vector of 16-255
 * from IRR, now in service and above the processor priority, and only when the guest can take
 * it; it never replaces an event already there; an interrupt window is asked for only when a
 * vector waits; the timer's deadline is none when the timer is masked.
 */
#include "vmm_fuzz.h"
#include "lapic.h"
#include "ioapic.h"
#include "reset/reset.h"
#include <string.h>

#define LAPIC_PAGE 0xfee00000ull
#define IOAPIC_PAGE 0xfec00000ull
#define RFLAGS_IF (1ull << 9)

enum { OP_LAPIC, OP_IOAPIC, OP_LINE, OP_RESUME, OP_CLOCK, OP_PENDING, OPS };

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[VM_MAX_VCPUS];
static struct mmio_device *lapic, *ioapic;

static struct vcpu *vcpu_of(struct fuzz_in *in)
{
    return &vm.vcpus[fuzz_u8(in) % vm.vcpu_count];
}

static unsigned width_of(uint8_t w)
{
    static const unsigned widths[8] = { 4, 4, 4, 4, 1, 2, 8, 3 };
    return widths[w & 7];
}

static bool bit_set(const uint32_t *bits, unsigned vector)
{
    return (bits[vector / 32] >> (vector % 32)) & 1;
}

static unsigned priority_class(const struct vlapic *l)
{
    unsigned isr_class = 0;
    for (unsigned v = 0; v < 256; v++) {
        if (bit_set(l->isr, v)) {
            isr_class = v & 0xf0;
        }
    }
    return (l->tpr & 0xf0) > isr_class ? l->tpr & 0xf0 : isr_class;
}

static void resume(struct fuzz_in *in)
{
    struct vcpu *v = vcpu_of(in);
    struct keel_vcpu_state *s = v->state;
    uint8_t if_flag = fuzz_u8(in), shadow = fuzz_u8(in), already = fuzz_u8(in);
    s->rflags = (if_flag & 1) ? RFLAGS_IF : 0;
    s->interrupt_shadow = shadow & 1;
    s->inject = (already & 1) ? KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXCEPTION | 13 : 0;
    uint64_t before = s->inject;
    struct vlapic l = v->arch.lapic;
    unsigned ppr_class = priority_class(&l);
    bool waiting = lapic_pending(v);
    fuzz_self = v;
    lapic_before_resume(v, s);
    if (before) {
        FUZZ_CHECK(s->inject == before); /* an event in flight is never replaced */
        return;
    }
    if (s->inject) {
        unsigned vector = s->inject & 0xff;
        FUZZ_CHECK(s->inject == (KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXT_INTR | vector));
        FUZZ_CHECK(vector >= 16);
        FUZZ_CHECK((s->rflags & RFLAGS_IF) && !(s->interrupt_shadow & 1));
        FUZZ_CHECK(bit_set(v->arch.lapic.isr, vector) && !bit_set(v->arch.lapic.irr, vector));
        FUZZ_CHECK((vector & 0xf0) > ppr_class);
    }
    if (s->want & KEEL_X86_WANT_IRQ_WINDOW) {
        FUZZ_CHECK(!s->inject && lapic_pending(v));
    }
    if (!waiting) {
        /* Only the timer may have made a vector wait since. */
        FUZZ_CHECK(!s->inject || (s->inject & 0xff) == (l.lvt[0] & 0xff));
    }
    if (v->arch.lapic.lvt[0] & (1u << 16)) {
        FUZZ_CHECK(s->timer_deadline == UINT64_MAX);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    uint64_t ids[VM_MAX_VCPUS];
    if (!ram.ram) {
        fuzz_ram_init(&ram, 0, 4096);
    }
    unsigned vcpus = 1 + fuzz_u8(&in) % VM_MAX_VCPUS;
    uint8_t seed = fuzz_u8(&in);
    for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
        ids[i] = (seed & 1) ? (uint64_t)(seed >> 1) + i * 3 : i; /* APIC ids, maybe sparse */
    }
    fuzz_vm_init(&vm, &ram, vcpus, ids, states);
    fuzz_reset_ioapic();
    FUZZ_CHECK(lapic_create(&vm, gpa_init(LAPIC_PAGE)) == 0);
    FUZZ_CHECK(ioapic_create(&vm, gpa_init(IOAPIC_PAGE)) == 0);
    lapic = vm_device_at(&vm, gpa_init(LAPIC_PAGE));
    ioapic = vm_device_at(&vm, gpa_init(IOAPIC_PAGE));
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_LAPIC: {
            struct vcpu *v = vcpu_of(&in);
            uint64_t off = fuzz_u8(&in) * 16ull;
            unsigned width = width_of(fuzz_u8(&in));
            bool write = fuzz_u8(&in) & 1;
            uint64_t value = fuzz_u32(&in);
            fuzz_self = v;
            lapic->access(lapic, off, width, write, &value);
            break;
        }
        case OP_IOAPIC: {
            uint8_t off = fuzz_u8(&in);
            unsigned width = width_of(fuzz_u8(&in));
            bool write = fuzz_u8(&in) & 1;
            uint64_t value = fuzz_u32(&in);
            ioapic->access(ioapic, off < 0x80 ? 0 : off < 0xf0 ? 0x10 : off, width, write, &value);
            break;
        }
        case OP_LINE: {
            uint8_t line = fuzz_u8(&in);
            vm_irq_set(&vm, line % 32, fuzz_u8(&in) & 1);
            break;
        }
        case OP_RESUME: resume(&in); break;
        case OP_CLOCK: {
            uint64_t delta = fuzz_u32(&in);
            host_cycles += delta << (fuzz_u8(&in) % 24);
            break;
        }
        default: lapic_pending(vcpu_of(&in)); break;
        }
    }
    return 0;
}

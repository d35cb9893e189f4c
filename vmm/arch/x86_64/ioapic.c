// SPDX-License-Identifier: MIT
/*
 * The guest's I/O APIC: 24 interrupt lines (vm_irq_set) routed by a redirection table to vectors
 * at the local APICs (lapic.c). Registers through the index/data pair at 0x00/0x10. A line
 * interrupts on a rising edge, or, level-triggered, while it is high and not already in service
 * (remote IRR, cleared by the guest's EOI of that vector at its local APIC). Fixed and
 * lowest-priority delivery, physical destination (the APIC id), or logical with a flat bitmask of
 * APIC ids; the polarity bit is kept and ignored (the models' lines are active high).
 *
 *   ioapic@fec00000 { compatible = "intel,ce4100-ioapic"; reg = <0x0 0xfec00000 0x0 0x1000>;
 *                     interrupt-controller; #interrupt-cells = <2>; };
 *   A device's interrupts = <line type>, as in Linux's x86 trees.
 */
#include "ioapic.h"
#include "lapic.h"
#include <keel/rt.h>
#include <string.h>

#define LINES 24
#define RTE_MASKED (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_RO_BITS ((1ull << 12) | RTE_REMOTE_IRR)
/* Vector, delivery and destination mode, polarity, trigger, mask, destination. */
#define RTE_WRITABLE 0xff0000000001afffull

struct vioapic {
    struct vm *vm;
    uint32_t select, id;
    uint64_t rte[LINES];
    uint32_t level; /* lines that are high, a bit each */
};

static struct vioapic ioapic; /* one VM per VMM, one I/O APIC per VM */

/* The entry's vector to the local APICs its destination names. */
static void deliver(struct vioapic *io, uint64_t rte)
{
    struct vm *vm = io->vm;
    unsigned vector = rte & 0xff, mode = (rte >> 8) & 7, dest = (unsigned)(rte >> 56);
    bool logical = rte & (1ull << 11);
    if (mode > 1) {
        vm_report(vm, "I/O APIC: delivery mode %u is not modelled (fixed, lowest priority)", mode);
        return;
    }
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        struct vcpu *v = &vm->vcpus[i];
        unsigned id = v->arch.lapic.id;
        if (logical ? (dest & (1u << (id & 7))) != 0 : dest == id) {
            lapic_raise(v, vector, rte & RTE_LEVEL);
            if (mode == 1) {
                break; /* lowest priority: the first that takes it */
            }
        }
    }
}

/* A level-triggered line that is high and unmasked interrupts unless already in service. */
static void level_check(struct vioapic *io, unsigned line)
{
    uint64_t *rte = &io->rte[line];
    bool high = io->level & (1u << line);
    if ((*rte & RTE_LEVEL) && high && !(*rte & (RTE_MASKED | RTE_REMOTE_IRR))) {
        *rte |= RTE_REMOTE_IRR;
        deliver(io, *rte);
    }
}

void vm_irq_set(struct vm *vm, unsigned intid, bool level)
{
    struct vioapic *io = &ioapic;
    vm_lock(&vm->irq_lock);
    if (io->vm != vm || intid >= LINES) {
        vm->arch.irq_reports++; /* no I/O APIC, or no such line */
        vm_unlock(&vm->irq_lock);
        return;
    }
    bool was = io->level & (1u << intid);
    io->level = level ? io->level | (1u << intid) : io->level & ~(1u << intid);
    uint64_t rte = io->rte[intid];
    if (rte & RTE_LEVEL) {
        level_check(io, intid);
    } else if (level && !was && !(rte & RTE_MASKED)) {
        deliver(io, rte); /* an edge */
    }
    vm_unlock(&vm->irq_lock);
}

void ioapic_eoi(struct vm *vm, unsigned vector)
{
    struct vioapic *io = &ioapic;
    if (io->vm != vm) {
        return;
    }
    for (unsigned i = 0; i < LINES; i++) {
        if ((io->rte[i] & RTE_LEVEL) && (io->rte[i] & 0xff) == vector) {
            io->rte[i] &= ~RTE_REMOTE_IRR;
            level_check(io, i);
        }
    }
}

static uint32_t reg_read(const struct vioapic *io, uint32_t reg)
{
    if (reg >= 0x10 && reg < 0x10 + 2 * LINES) {
        uint64_t rte = io->rte[(reg - 0x10) / 2];
        return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
    }
    switch (reg) {
    case 0: return io->id << 24;
    case 1: return (LINES - 1) << 16 | 0x11; /* version 0x11 */
    case 2: return io->id << 24;              /* arbitration id */
    default: return 0;
    }
}

static void reg_write(struct vioapic *io, uint32_t reg, uint32_t value)
{
    if (reg >= 0x10 && reg < 0x10 + 2 * LINES) {
        unsigned line = (reg - 0x10) / 2;
        uint64_t *rte = &io->rte[line];
        uint64_t v = (reg & 1) ? (*rte & 0xffffffffull) | (uint64_t)value << 32
                               : (*rte & ~0xffffffffull) | value;
        *rte = (v & RTE_WRITABLE) | (*rte & RTE_RO_BITS);
        if (!(*rte & RTE_LEVEL)) {
            *rte &= ~RTE_REMOTE_IRR;
        }
        level_check(io, line); /* unmasked with the line high: it interrupts now */
    } else if (reg == 0) {
        io->id = (value >> 24) & 0xf;
    }
}

static bool ioapic_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                          uint64_t *value)
{
    struct vioapic *io = d->state;
    if (width != 4 || (offset != 0x00 && offset != 0x10)) {
        return false;
    }
    if (offset == 0x00) {
        if (write) {
            io->select = (uint32_t)*value & 0xff;
        } else {
            *value = io->select;
        }
    } else if (write) {
        reg_write(io, io->select, (uint32_t)*value);
    } else {
        *value = reg_read(io, io->select);
    }
    return true;
}

/* A reset: every entry masked, the index 0; the lines stay as the devices drive them. */
static void ioapic_reset(struct mmio_device *d)
{
    struct vioapic *io = d->state;
    io->select = 0;
    io->id = 0;
    for (unsigned i = 0; i < LINES; i++) {
        io->rte[i] = RTE_MASKED;
    }
}

int ioapic_create(struct vm *vm, gpa_t base)
{
    if (ioapic.vm) {
        return -1; /* one per VM */
    }
    struct mmio_device *d = vm_device_add(vm, "ioapic", base, 0x1000);
    if (!d) {
        return -1;
    }
    d->lock = &vm->irq_lock; /* with the LAPICs, the interrupt controller */
    memset(&ioapic, 0, sizeof(ioapic));
    ioapic.vm = vm;
    for (unsigned i = 0; i < LINES; i++) {
        ioapic.rte[i] = RTE_MASKED;
    }
    d->access = ioapic_access;
    d->reset = ioapic_reset;
    d->state = &ioapic;
    return 0;
}

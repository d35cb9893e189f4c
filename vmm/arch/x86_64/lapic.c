// SPDX-License-Identifier: MIT
/*
 * The guest's local APIC: an xAPIC (MMIO page at 0xfee00000) per vCPU, modelled by the VMM.
 * Vectors become requested (IRR) from the timer, from interprocessor interrupts (ICR) and from
 * the I/O APIC's lines (lapic_raise); the highest one above the processor priority goes to the
 * guest through the kernel's event injection when the guest has interrupts on (else the kernel is
 * asked for an interrupt-window exit), and stays in service (ISR) until the guest writes EOI.
 * The TPR is the MMIO register's; a 64-bit guest's CR8 is not merged with it yet.
 *
 * The timer counts the kernel's timer ticks (keel_cycles: the TSC on x86_64) through the divide
 * register: one-shot, periodic, and TSC-deadline mode (LVT timer mode 2: IA32_TSC_DEADLINE, an
 * MSR, holds the TSC value it fires at; the guest's TSC is the host's). Its expiry is the vCPU's
 * timer_deadline, which the kernel keeps while the guest runs (a VTIMER exit).
 *
 *   The device tree names it like Linux's x86 trees do:
 *   lapic@fee00000 { compatible = "intel,ce4100-lapic"; reg = <0x0 0xfee00000 0x0 0x1000>; };
 */
#include "lapic.h"
#include "ioapic.h"
#include "../../vcpu.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <string.h>

enum {
    REG_ID = 0x20, REG_VERSION = 0x30, REG_TPR = 0x80, REG_APR = 0x90, REG_PPR = 0xa0,
    REG_EOI = 0xb0, REG_LDR = 0xd0, REG_DFR = 0xe0, REG_SVR = 0xf0, REG_ISR = 0x100,
    REG_TMR = 0x180, REG_IRR = 0x200, REG_ESR = 0x280, REG_ICR_LOW = 0x300, REG_ICR_HIGH = 0x310,
    REG_LVT = 0x320, REG_LVT_END = 0x380, REG_TIMER_INITIAL = 0x380, REG_TIMER_CURRENT = 0x390,
    REG_TIMER_DIVIDE = 0x3e0,
};
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_MODE (3u << 17)
#define LVT_TSC_DEADLINE (2u << 17)
#define SVR_ENABLED (1u << 8)
#define VERSION 0x00050014u /* a version 0x14 xAPIC with six LVT entries */
#define RFLAGS_IF (1ull << 9)

static struct vlapic *lapic_of(struct vcpu *v)
{
    return &v->arch.lapic;
}

static int highest(const uint32_t *bits)
{
    for (int w = 7; w >= 0; w--) {
        if (bits[w]) {
            return w * 32 + 31 - __builtin_clz(bits[w]);
        }
    }
    return -1;
}

/* Processor priority: the task priority or the class of the highest vector in service. */
static unsigned ppr(const struct vlapic *l)
{
    int isr = highest(l->isr);
    unsigned isr_class = isr < 0 ? 0 : (unsigned)isr & 0xf0;
    return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

/* Timer ticks per count: the divide register's 1, 2, 4 ... 128. */
static uint64_t divisor(const struct vlapic *l)
{
    unsigned d = (l->timer_divide & 3) | ((l->timer_divide >> 1) & 4);
    return d == 7 ? 1 : 2ull << d;
}

/* The shortest period the timer runs with: 10 us (a period below the cost of an interrupt would
 * keep the vCPU in its VMM, delivering). */
static uint64_t min_ticks(void)
{
    return rt_timer_freq() / 100000 + 1;
}

static uint64_t period(const struct vlapic *l)
{
    uint64_t p = l->timer_initial * divisor(l), min = min_ticks();
    return p < min ? min : p;
}

static void timer_load(struct vlapic *l, uint32_t count)
{
    l->timer_initial = count;
    l->timer_start = keel_cycles();
    l->timer_due = count ? l->timer_start + period(l) : UINT64_MAX;
}

/* The count left: a periodic timer past its expiry has reloaded already (timer_update() moves
 * timer_due only at the next resume). */
static uint32_t timer_current(const struct vlapic *l)
{
    if (l->timer_due == UINT64_MAX) {
        return 0;
    }
    uint64_t now = keel_cycles(), due = l->timer_due;
    if ((l->lvt[0] & LVT_MODE) == LVT_TSC_DEADLINE) {
        return 0; /* the count is not used in TSC-deadline mode */
    }
    if (now >= due && (l->lvt[0] & LVT_MODE) == LVT_PERIODIC && l->timer_initial) {
        uint64_t p = period(l);
        due += ((now - due) / p + 1) * p;
    }
    return now >= due ? 0 : (uint32_t)((due - now) / divisor(l));
}

/* An expired timer requests its vector (when unmasked) and reloads in periodic mode. */
static void timer_update(struct vlapic *l)
{
    uint64_t now = keel_cycles();
    if (l->timer_due == UINT64_MAX || now < l->timer_due) {
        return;
    }
    uint32_t lvt = l->lvt[0];
    if (!(lvt & LVT_MASKED) && (l->svr & SVR_ENABLED) && (lvt & 0xff) >= 16) {
        l->irr[(lvt & 0xff) / 32] |= 1u << (lvt & 31);
    }
    if ((lvt & LVT_MODE) == LVT_PERIODIC && l->timer_initial) {
        uint64_t p = period(l);
        l->timer_due += ((now - l->timer_due) / p + 1) * p; /* missed ones merge */
    } else {
        l->timer_due = UINT64_MAX;
    }
}

void lapic_raise(struct vcpu *v, unsigned vector, bool level)
{
    struct vlapic *l = lapic_of(v);
    uint32_t bit = 1u << (vector % 32);
    if (vector < 16 || !(l->svr & SVR_ENABLED)) {
        return; /* vectors 0-15 are illegal; a disabled APIC accepts nothing */
    }
    l->irr[vector / 32] |= bit;
    l->tmr[vector / 32] = level ? l->tmr[vector / 32] | bit : l->tmr[vector / 32] & ~bit;
    vcpu_kick(v);
}

/* Whether the ICR's destination names l: physical, its id or 0xff (all); logical (the flat
 * model), a bit of its logical id. */
static bool lapic_matches(const struct vlapic *l, uint32_t low, uint32_t dest)
{
    if (low & (1u << 11)) {
        return (dest & (l->ldr >> 24)) != 0;
    }
    return dest == 0xff || dest == l->id;
}

void lapic_msi(struct vm *vm, uint64_t address, uint32_t data)
{
    unsigned vector = data & 0xff, mode = (data >> 8) & 7, dest = (address >> 12) & 0xff;
    uint32_t dm = address & (1u << 2) ? 1u << 11 : 0; /* the ICR's destination mode bit */
    if ((address >> 20) != 0xfee || (mode != 0 && mode != 1)) {
        vm_report(vm,
                  "MSI to 0x%llx with data 0x%x not modelled (fixed or lowest priority to "
                  "0xfeexxxxx)",
                  (unsigned long long)address, data);
        return;
    }
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        struct vcpu *t = &vm->vcpus[i];
        struct vlapic *l = lapic_of(t);
        if (lapic_matches(l, dm, dest) && (mode == 0 || (l->svr & SVR_ENABLED))) {
            lapic_raise(t, vector, (data & (1u << 15)) != 0);
            if (mode == 1) {
                break; /* lowest priority: the first that takes it */
            }
        }
    }
}

/* A local APIC as after RESET or INIT (SDM 3A 11.4.7.1 and .3; its id stays). */
static void lapic_reset_one(struct vlapic *l, uint32_t id)
{
    memset(l, 0, sizeof(*l));
    l->id = id;
    l->dfr = 0xffffffffu;
    l->svr = 0xff; /* disabled until the guest sets SVR.8, spurious vector 0xff */
    for (unsigned j = 0; j < 6; j++) {
        l->lvt[j] = LVT_MASKED;
    }
    l->timer_due = UINT64_MAX;
}

/* ICR: to vCPUs by destination, to itself, to all, to all others; fixed interrupts,
 * and the INIT / STARTUP pair that (re)starts an application processor: INIT (level assert) puts
 * a vCPU in wait-for-STARTUP, whatever it was doing (powered off, its local APIC reset but for
 * its id: SDM 3A 9.4 and 11.4.7.3); STARTUP powers a vCPU that waits so on at the vector's
 * page, in real mode (arch_vcpu_reset). Firmware re-INITs its application processors between
 * its phases, and an OS takes them over from the firmware so. (INIT level de-assert does
 * nothing, as on processors since the Pentium 4.) */
enum { ICR_FIXED = 0, ICR_INIT = 5, ICR_STARTUP = 6 };

static void send_ipi(struct vm *vm, struct vcpu *self, uint32_t low, uint32_t high)
{
    unsigned vector = low & 0xff, mode = (low >> 8) & 7, shorthand = (low >> 18) & 3;
    if (mode != ICR_FIXED && mode != ICR_INIT && mode != ICR_STARTUP) {
        vm_report(vm, "LAPIC: IPI delivery mode %u is not modelled", mode);
        return;
    }
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        struct vcpu *t = &vm->vcpus[i];
        bool to = shorthand == 1   ? t == self
                  : shorthand == 2 ? true
                  : shorthand == 3 ? t != self
                                   : lapic_matches(lapic_of(t), low, high >> 24);
        if (!to) {
            continue;
        }
        if (mode == ICR_FIXED) {
            lapic_raise(t, vector, false);
        } else if (mode == ICR_INIT && (low & (1u << 14))) {
            vcpu_init_signal(t); /* (its thread parks at its next resume) */
            lapic_reset_one(lapic_of(t), lapic_of(t)->id);
        } else if (mode == ICR_STARTUP &&
                   __atomic_load_n(&t->power, __ATOMIC_ACQUIRE) == VCPU_OFF &&
                   vcpu_power_on(t, (uint64_t)vector << 12, 0) != 0) {
            vm_report(vm, "LAPIC: cannot start vCPU %u", t->id);
        }
    }
}

static bool lapic_read(struct vlapic *l, unsigned reg, uint32_t *value)
{
    if (reg >= REG_ISR && reg < REG_ISR + 0x80) {
        *value = l->isr[(reg - REG_ISR) / 16];
    } else if (reg >= REG_TMR && reg < REG_TMR + 0x80) {
        *value = l->tmr[(reg - REG_TMR) / 16];
    } else if (reg >= REG_IRR && reg < REG_IRR + 0x80) {
        *value = l->irr[(reg - REG_IRR) / 16];
    } else if (reg >= REG_LVT && reg < REG_LVT_END) {
        *value = l->lvt[(reg - REG_LVT) / 16];
    } else {
        switch (reg) {
        case REG_ID: *value = l->id << 24; break;
        case REG_VERSION: *value = VERSION; break;
        case REG_TPR: *value = l->tpr; break;
        case REG_APR: *value = 0; break;
        case REG_PPR: *value = ppr(l); break;
        case REG_EOI: *value = 0; break;
        case REG_LDR: *value = l->ldr; break;
        case REG_DFR: *value = l->dfr; break;
        case REG_SVR: *value = l->svr; break;
        case REG_ESR: *value = l->esr; break;
        case REG_ICR_LOW: *value = 0; break; /* delivered at once: never pending */
        case REG_ICR_HIGH: *value = l->icr_high; break;
        case REG_TIMER_INITIAL: *value = l->timer_initial; break;
        case REG_TIMER_CURRENT: *value = timer_current(l); break;
        case REG_TIMER_DIVIDE: *value = l->timer_divide; break;
        default: return false;
        }
    }
    return true;
}

static bool lapic_write(struct vm *vm, struct vcpu *v, unsigned reg, uint32_t value)
{
    struct vlapic *l = lapic_of(v);
    if (reg >= REG_LVT && reg < REG_LVT_END) {
        unsigned i = (reg - REG_LVT) / 16;
        /* Timer: vector, mask, mode (one-shot, periodic, TSC-deadline); the delivery status
         * (bit 12) and remote IRR (14) are read-only. A change to or from TSC-deadline mode
         * disarms the timer (SDM vol. 3, 11.5.4.1). */
        uint32_t was = l->lvt[i];
        l->lvt[i] = value & (i == 0 ? 0x700ffu : 0x1a7ffu);
        if (i == 0 && ((was & LVT_MODE) == LVT_TSC_DEADLINE) !=
                          ((l->lvt[0] & LVT_MODE) == LVT_TSC_DEADLINE)) {
            l->timer_due = UINT64_MAX;
            l->tsc_deadline = 0;
        }
        if (!(l->svr & SVR_ENABLED)) {
            l->lvt[i] |= LVT_MASKED; /* a disabled APIC keeps its LVT entries masked */
        }
        return true;
    }
    switch (reg) {
    case REG_TPR: l->tpr = value & 0xff; break;
    case REG_EOI: {
        int isr = highest(l->isr);
        if (isr >= 0) {
            uint32_t bit = 1u << (isr % 32);
            l->isr[isr / 32] &= ~bit;
            if (l->tmr[isr / 32] & bit) {
                l->tmr[isr / 32] &= ~bit;
                ioapic_eoi(vm, (unsigned)isr); /* level-triggered: its line may interrupt again */
            }
        }
        break;
    }
    case REG_LDR: l->ldr = value & 0xff000000u; break;
    case REG_DFR: l->dfr = value | 0x0fffffffu; break;
    case REG_SVR:
        l->svr = value & 0x13ff;
        if (!(value & SVR_ENABLED)) {
            for (unsigned i = 0; i < 6; i++) {
                l->lvt[i] |= LVT_MASKED;
            }
        }
        break;
    case REG_ESR: l->esr = 0; break;
    case REG_ICR_LOW: send_ipi(vm, v, value, l->icr_high); break;
    case REG_ICR_HIGH: l->icr_high = value & 0xff000000u; break;
    case REG_TIMER_INITIAL:
        if ((l->lvt[0] & LVT_MODE) != LVT_TSC_DEADLINE) {
            timer_load(l, value); /* (ignored in TSC-deadline mode) */
        }
        break;
    case REG_TIMER_DIVIDE: l->timer_divide = value & 0xb; break;
    case REG_ID: case REG_VERSION: case REG_APR: case REG_PPR: case REG_TIMER_CURRENT:
        break; /* read-only: writes are ignored, as on hardware */
    default:
        return false;
    }
    return true;
}

/* The page shows each vCPU its own APIC: 32-bit accesses to 16-byte aligned registers only. */
static bool lapic_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                         uint64_t *value)
{
    struct vm *vm = d->state;
    struct vcpu *v = vcpu_self(vm);
    if (!v || width != 4 || (offset & 15)) {
        return false;
    }
    if (write) {
        return lapic_write(vm, v, (unsigned)offset, (uint32_t)*value);
    }
    uint32_t r;
    if (!lapic_read(lapic_of(v), (unsigned)offset, &r)) {
        return false;
    }
    *value = r;
    return true;
}

/* Every vCPU's local APIC as after RESET, its id its cpu node's reg. */
static void lapic_reset_all(struct vm *vm)
{
    for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
        lapic_reset_one(&vm->vcpus[i].arch.lapic,
                        i < vm->vcpu_count ? (uint32_t)vm->vcpus[i].mpidr & 0xff : i);
    }
}

static void lapic_reset(struct mmio_device *d)
{
    lapic_reset_all(d->state);
}

int lapic_create(struct vm *vm, gpa_t base)
{
    struct mmio_device *d = vm_device_add(vm, "lapic", base, 0x1000);
    if (!d) {
        return -1;
    }
    vm->arch.lapic = true;
    d->lock = &vm->irq_lock; /* with the I/O APIC, the interrupt controller */
    d->access = lapic_access;
    d->reset = lapic_reset;
    d->state = vm;
    lapic_reset_all(vm);
    return 0;
}

/* IA32_TSC_DEADLINE: the TSC value the timer fires at in TSC-deadline mode (0: disarmed; a
 * write in another mode is ignored, and it then reads 0). */
void lapic_tsc_deadline_write(struct vcpu *v, uint64_t tsc)
{
    struct vlapic *l = lapic_of(v);
    if ((l->lvt[0] & LVT_MODE) != LVT_TSC_DEADLINE) {
        return;
    }
    l->tsc_deadline = tsc;
    l->timer_due = tsc ? tsc : UINT64_MAX;
}

uint64_t lapic_tsc_deadline_read(struct vcpu *v)
{
    struct vlapic *l = lapic_of(v);
    return (l->lvt[0] & LVT_MODE) == LVT_TSC_DEADLINE && l->timer_due != UINT64_MAX
               ? l->tsc_deadline
               : 0;
}

bool lapic_pending(const struct vcpu *v)
{
    const struct vlapic *l = &v->arch.lapic;
    int irr = highest(l->irr);
    return irr >= 0 && ((unsigned)irr & 0xf0) > (ppr(l) & 0xf0);
}

void lapic_before_resume(struct vcpu *v, struct keel_vcpu_state *s)
{
    struct vlapic *l = lapic_of(v);
    timer_update(l);
    s->timer_deadline = l->lvt[0] & LVT_MASKED ? UINT64_MAX : l->timer_due;
    s->want &= ~KEEL_X86_WANT_IRQ_WINDOW;
    if (s->inject & KEEL_X86_INJECT_VALID) {
        return;
    }
    int irr = highest(l->irr); /* (once: as lapic_pending, on every resume's path) */
    if (irr < 0 || ((unsigned)irr & 0xf0) <= (ppr(l) & 0xf0)) {
        return;
    }
    if ((s->rflags & RFLAGS_IF) && !(s->interrupt_shadow & 1)) {
        unsigned vector = (unsigned)irr;
        l->irr[vector / 32] &= ~(1u << (vector % 32));
        l->isr[vector / 32] |= 1u << (vector % 32);
        s->inject = KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXT_INTR | vector;
    } else {
        s->want |= KEEL_X86_WANT_IRQ_WINDOW;
    }
}

// SPDX-License-Identifier: MIT
/*
 * Host tests of the x86_64 VMM's interrupt controllers: the local APIC (lapic.c: registers,
 * priorities, injection through lapic_before_resume, the timer, IPIs with INIT/STARTUP) and the
 * I/O APIC (ioapic.c: redirection table, edge and level lines, remote IRR ended by the LAPIC's
 * EOI). Everything goes through the MMIO pages as a guest's 32-bit accesses; the VM's services
 * are fakes below, the timer's clock is host_cycles.
 */
#include "unit.h"
#include "vm.h"
#include "vcpu.h"
#include "lapic.h"
#include "ioapic.h"
#include <keel/rt.h>
#include <stdarg.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;

#define TIMER_FREQ 1000000000ull /* 1 GHz: the shortest period is 10001 ticks */
#define MIN_TICKS (TIMER_FREQ / 100000 + 1)
#define RFLAGS_IF (1ull << 9)
#define INJ(vector) (KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXT_INTR | (vector))

enum {
    ID = 0x20, VERSION = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, LDR = 0xd0,
    DFR = 0xe0, SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280,
    ICR_LOW = 0x300, ICR_HIGH = 0x310, LVT_TIMER = 0x320, LVT_LINT0 = 0x350,
    TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3e0,
};

static struct vm vm;
static struct vcpu *self; /* the vCPU whose thread makes the accesses */
static struct mmio_device *lapic_dev, *ioapic_dev;
static unsigned kicks[VM_MAX_VCPUS], power_ons, reports;
static int64_t power_on_result;

struct mmio_device *vm_device_add(struct vm *v, const char *name, gpa_t base, uint64_t size)
{
    if (v->device_count == VM_MAX_DEVICES) {
        return NULL;
    }
    struct mmio_device *d = &v->devices[v->device_count++];
    memset(d, 0, sizeof(*d));
    d->name = name;
    d->base = base;
    d->size = size;
    d->lock = &d->own; /* as vm.c */
    return d;
}

struct vcpu *vcpu_self(struct vm *v)
{
    (void)v;
    return self;
}

/* As vcpu.c, without a kernel: the area is taken to hold the whole state. */
int vcpu_state_sync(struct vcpu *v)
{
    v->state->sync.valid |= KEEL_VCPU_SYNC_SYS;
    return 0;
}

void vcpu_kick(struct vcpu *v)
{
    kicks[v->id]++;
}

/* As vcpu.c: off, and kicked out of its guest. */
void vcpu_init_signal(struct vcpu *v)
{
    v->power = VCPU_OFF;
    kicks[v->id]++;
}

int64_t vcpu_power_on(struct vcpu *v, uint64_t pc, uint64_t ctx)
{
    power_ons++;
    v->start_pc = pc;
    v->start_ctx = ctx;
    if (power_on_result == 0) {
        v->power = VCPU_ON;
    }
    return power_on_result;
}

void vm_report(struct vm *v, const char *fmt, ...)
{
    (void)v;
    reports++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  (vm_report: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, ")\n");
    va_end(ap);
}

uint64_t rt_timer_freq(void)
{
    return TIMER_FREQ;
}

static uint32_t lrd(uint64_t off)
{
    uint64_t v = 0;
    CHECK(lapic_dev->access(lapic_dev, off, 4, false, &v));
    return (uint32_t)v;
}

static void lwr(uint64_t off, uint32_t value)
{
    uint64_t v = value;
    CHECK(lapic_dev->access(lapic_dev, off, 4, true, &v));
}

/* The 32-bit word of the IRR/ISR/TMR holding vector, and the vector's bit in it. */
static uint32_t vec_word(unsigned base, unsigned vector)
{
    return lrd(base + (vector / 32) * 0x10);
}

static bool vec_set(unsigned base, unsigned vector)
{
    return (vec_word(base, vector) >> (vector % 32)) & 1;
}

/* One resume of v with the guest's rflags and interrupt shadow. */
static struct keel_vcpu_state resume(struct vcpu *v, uint64_t rflags, uint64_t shadow)
{
    struct keel_vcpu_state s;
    memset(&s, 0, sizeof(s));
    s.rflags = rflags;
    s.interrupt_shadow = shadow;
    lapic_before_resume(v, &s);
    return s;
}

static void test_lapic_regs(void)
{
    self = &vm.vcpus[0];
    uint64_t x = 0;
    /* 32-bit accesses to 16-byte aligned, known registers only; an I/O thread sees none. */
    CHECK(!lapic_dev->access(lapic_dev, TPR, 2, false, &x));
    CHECK(!lapic_dev->access(lapic_dev, TPR, 2, true, &x));
    CHECK(!lapic_dev->access(lapic_dev, TPR, 8, false, &x));
    CHECK(!lapic_dev->access(lapic_dev, TPR, 1, true, &x));
    CHECK(!lapic_dev->access(lapic_dev, TPR + 4, 4, false, &x));
    CHECK(!lapic_dev->access(lapic_dev, TPR + 2, 4, true, &x));
    CHECK(!lapic_dev->access(lapic_dev, IRR + 4, 4, false, &x)); /* inside a register array */
    CHECK(!lapic_dev->access(lapic_dev, LVT_TIMER + 8, 4, true, &x));
    CHECK(!lapic_dev->access(lapic_dev, 0x3f0, 4, false, &x));
    CHECK(!lapic_dev->access(lapic_dev, 0x3f0, 4, true, &x));
    CHECK(!lapic_dev->access(lapic_dev, 0x10, 4, false, &x));
    CHECK(!lapic_dev->access(lapic_dev, 0xff0, 4, false, &x));
    self = NULL;
    CHECK(!lapic_dev->access(lapic_dev, ID, 4, false, &x));
    self = &vm.vcpus[0];

    /* Reset: ID from the vCPU's affinity, disabled (spurious vector 0xff), LVT masked. */
    CHECK_EQ(lrd(ID), 0u);
    CHECK_EQ(lrd(VERSION), 0x00050014u);
    CHECK_EQ(lrd(SVR), 0xffu);
    CHECK_EQ(lrd(DFR), 0xffffffffu);
    for (unsigned r = LVT_TIMER; r < TIMER_INITIAL; r += 0x10) {
        CHECK_EQ(lrd(r), 0x10000u);
    }
    self = &vm.vcpus[1];
    CHECK_EQ(lrd(ID), 1u << 24);
    self = &vm.vcpus[2];
    CHECK_EQ(lrd(ID), 2u << 24);
    self = &vm.vcpus[0];

    /* Disabled: accepts nothing, and keeps its LVT entries masked. */
    unsigned k = kicks[0];
    lapic_raise(self, 0x40, false);
    CHECK_EQ(vec_word(IRR, 0x40), 0u);
    CHECK_EQ(kicks[0], k);
    CHECK(!lapic_pending(self));
    struct keel_vcpu_state s = resume(self, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u);
    CHECK_EQ(s.want, 0u);
    lwr(ICR_LOW, (1u << 18) | 0x41); /* a fixed IPI to itself */
    CHECK_EQ(vec_word(IRR, 0x41), 0u);
    lwr(LVT_LINT0, 0x30);
    CHECK_EQ(lrd(LVT_LINT0), 0x10030u);

    /* Enabling: SVR keeps the vector, bit 8 and bit 12 only. */
    lwr(SVR, 0xffffffffu);
    CHECK_EQ(lrd(SVR), 0x13ffu);
    lwr(SVR, 0x1ff);
    CHECK_EQ(lrd(SVR), 0x1ffu);
    lwr(LVT_LINT0, 0x30);
    CHECK_EQ(lrd(LVT_LINT0), 0x30u);
    /* Read-only bits of the LVT entries (delivery status 12, remote IRR 14) stay clear. */
    lwr(LVT_LINT0, 0xffffffffu);
    CHECK_EQ(lrd(LVT_LINT0), 0x1a7ffu);
    lwr(LVT_TIMER, 0xffffffffu);
    CHECK_EQ(lrd(LVT_TIMER) & 0x1000u, 0u); /* delivery status is read-only (see report) */
    CHECK_EQ(lrd(LVT_TIMER) & 0x300ffu, 0x300ffu);
    /* Disabling masks every LVT entry again. */
    lwr(SVR, 0xff);
    CHECK_EQ(lrd(LVT_LINT0), 0x1a7ffu);
    lwr(SVR, 0x1ff);
    lwr(LVT_LINT0, 0x10000);
    lwr(LVT_TIMER, 0x10000);

    /* Register masks. */
    lwr(TPR, 0xfff);
    CHECK_EQ(lrd(TPR), 0xffu);
    lwr(TPR, 0);
    lwr(LDR, 0xffffffffu);
    CHECK_EQ(lrd(LDR), 0xff000000u);
    lwr(LDR, 0);
    lwr(DFR, 0);
    CHECK_EQ(lrd(DFR), 0x0fffffffu);
    lwr(DFR, 0xffffffffu);
    lwr(ESR, 0x1234);
    CHECK_EQ(lrd(ESR), 0u);
    lwr(ICR_HIGH, 0xffffffffu);
    CHECK_EQ(lrd(ICR_HIGH), 0xff000000u);
    lwr(ICR_HIGH, 0);
    CHECK_EQ(lrd(ICR_LOW), 0u);
    lwr(TIMER_DIVIDE, 0xff);
    CHECK_EQ(lrd(TIMER_DIVIDE), 0xbu);
    lwr(TIMER_DIVIDE, 0);
    CHECK_EQ(lrd(EOI), 0u);
    CHECK_EQ(lrd(APR), 0u);

    /* Read-only registers ignore writes. */
    lwr(ID, 0x05000000u);
    CHECK_EQ(lrd(ID), 0u);
    lwr(VERSION, 0);
    CHECK_EQ(lrd(VERSION), 0x00050014u);
    lwr(PPR, 0xf0);
    CHECK_EQ(lrd(PPR), 0u);
    lwr(APR, 0xf0);
    CHECK_EQ(lrd(APR), 0u);
    lwr(TIMER_CURRENT, 1234);
    CHECK_EQ(lrd(TIMER_CURRENT), 0u);
    CHECK(!lapic_dev->access(lapic_dev, IRR, 4, true, &x) || vec_word(IRR, 0) == 0);
    CHECK(!lapic_dev->access(lapic_dev, ISR + 0x10, 4, true, &x) || vec_word(ISR, 32) == 0);
}

static void test_lapic_irq(void)
{
    self = &vm.vcpus[0];
    struct vcpu *v = self;
    /* A vector raised kicks the vCPU and is requested. */
    unsigned k = kicks[0];
    lapic_raise(v, 0x40, false);
    CHECK_EQ(kicks[0], k + 1);
    CHECK(vec_set(IRR, 0x40));
    CHECK(lapic_pending(v));
    /* Interrupts off, or in an interrupt shadow: an interrupt-window request, nothing injected. */
    struct keel_vcpu_state s = resume(v, 0, 0);
    CHECK_EQ(s.inject, 0u);
    CHECK_EQ(s.want, KEEL_X86_WANT_IRQ_WINDOW);
    s = resume(v, RFLAGS_IF, 1);
    CHECK_EQ(s.inject, 0u);
    CHECK_EQ(s.want, KEEL_X86_WANT_IRQ_WINDOW);
    CHECK(vec_set(IRR, 0x40));
    /* An event the kernel has not delivered yet is not overwritten. */
    memset(&s, 0, sizeof(s));
    s.rflags = RFLAGS_IF;
    s.inject = INJ(0x22);
    lapic_before_resume(v, &s);
    CHECK_EQ(s.inject, INJ(0x22));
    CHECK(vec_set(IRR, 0x40));
    /* Interrupts on: injected, IRR to ISR, the window request withdrawn. */
    memset(&s, 0, sizeof(s));
    s.rflags = RFLAGS_IF;
    s.want = KEEL_X86_WANT_IRQ_WINDOW;
    lapic_before_resume(v, &s);
    CHECK_EQ(s.inject, INJ(0x40));
    CHECK_EQ(s.want, 0u);
    CHECK(!vec_set(IRR, 0x40));
    CHECK(vec_set(ISR, 0x40));
    CHECK_EQ(lrd(PPR), 0x40u);
    CHECK(!lapic_pending(v));

    /* The same class (0x45) and a lower one (0x3f) wait; a higher one (0x50) nests. */
    lapic_raise(v, 0x45, false);
    lapic_raise(v, 0x3f, false);
    CHECK(!lapic_pending(v));
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u);
    CHECK_EQ(s.want, 0u);
    lapic_raise(v, 0x50, false);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x50));
    CHECK_EQ(lrd(PPR), 0x50u);
    CHECK_EQ(vec_word(ISR, 0x40), (1u << 0) | (1u << 16));
    /* EOI ends the highest in service only. */
    lwr(EOI, 0);
    CHECK_EQ(vec_word(ISR, 0x40), 1u << 0);
    CHECK_EQ(lrd(PPR), 0x40u);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u); /* 0x45 still waits for 0x40's EOI */
    lwr(EOI, 0);
    CHECK_EQ(vec_word(ISR, 0x40), 0u);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x45));
    lwr(EOI, 0);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x3f));
    lwr(EOI, 0);
    CHECK_EQ(vec_word(ISR, 0x3f), 0u);
    CHECK(!lapic_pending(v));
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u);
    lwr(EOI, 0); /* nothing in service: ignored */
    CHECK_EQ(lrd(PPR), 0u);

    /* The TPR blocks its class and those below. */
    lwr(TPR, 0x52);
    CHECK_EQ(lrd(PPR), 0x52u);
    lapic_raise(v, 0x5f, false);
    CHECK(!lapic_pending(v));
    s = resume(v, 0, 0);
    CHECK_EQ(s.want, 0u); /* nothing it could take: no window request either */
    lapic_raise(v, 0x61, false);
    CHECK(lapic_pending(v));
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x61));
    CHECK_EQ(lrd(PPR), 0x60u);
    lwr(EOI, 0);
    CHECK_EQ(lrd(PPR), 0x52u);
    lwr(TPR, 0);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x5f));
    lwr(EOI, 0);

    /* Vectors 0-15 are illegal. */
    k = kicks[0];
    lapic_raise(v, 5, false);
    lapic_raise(v, 15, true);
    CHECK_EQ(vec_word(IRR, 0), 0u);
    CHECK_EQ(kicks[0], k);
    /* A level-triggered vector is in the TMR until its EOI. */
    lapic_raise(v, 0x70, true);
    CHECK(vec_set(TMR, 0x70));
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x70));
    CHECK(vec_set(TMR, 0x70));
    lwr(EOI, 0);
    CHECK(!vec_set(TMR, 0x70));
    CHECK(!vec_set(ISR, 0x70));
    /* The highest of several in one class goes first; 0xff is a vector like others. */
    lapic_raise(v, 0xfe, false);
    lapic_raise(v, 0xff, false);
    CHECK_EQ(resume(v, RFLAGS_IF, 0).inject, INJ(0xff));
    lwr(EOI, 0);
    CHECK_EQ(resume(v, RFLAGS_IF, 0).inject, INJ(0xfe));
    lwr(EOI, 0);
    CHECK(!lapic_pending(v));
}

static void test_lapic_timer(void)
{
    self = &vm.vcpus[0];
    struct vcpu *v = self;
    struct keel_vcpu_state s;
    CHECK_EQ(resume(v, RFLAGS_IF, 0).timer_deadline, UINT64_MAX); /* not started */

    /* One-shot, divide by 4: the deadline, the current count, one expiry. */
    host_cycles = 1000;
    lwr(LVT_TIMER, 0x30);
    lwr(TIMER_DIVIDE, 0x1);
    lwr(TIMER_INITIAL, 0x1000);
    CHECK_EQ(lrd(TIMER_INITIAL), 0x1000u);
    uint64_t due = 1000 + 4 * 0x1000;
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.timer_deadline, due);
    CHECK_EQ(s.inject, 0u);
    CHECK_EQ(lrd(TIMER_CURRENT), 0x1000u);
    host_cycles += 4 * 0x100;
    CHECK_EQ(lrd(TIMER_CURRENT), 0xf00u);
    host_cycles = due - 4;
    CHECK_EQ(lrd(TIMER_CURRENT), 1u);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u);
    host_cycles = due;
    CHECK_EQ(lrd(TIMER_CURRENT), 0u);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x30));
    CHECK_EQ(s.timer_deadline, UINT64_MAX);
    lwr(EOI, 0);
    host_cycles += 1000000;
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u); /* one-shot: once */
    CHECK_EQ(lrd(TIMER_CURRENT), 0u);

    /* Each divide value: the period is the count times 1, 2, 4 ... 128. */
    static const struct { uint32_t reg, div; } divs[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
        { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
    };
    for (unsigned i = 0; i < sizeof(divs) / sizeof(divs[0]); i++) {
        host_cycles = 5000;
        lwr(TIMER_DIVIDE, divs[i].reg);
        lwr(TIMER_INITIAL, 100000);
        CHECK_EQ(resume(v, RFLAGS_IF, 0).timer_deadline, 5000 + 100000ull * divs[i].div);
        host_cycles += 3 * divs[i].div;
        CHECK_EQ(lrd(TIMER_CURRENT), 100000u - 3);
    }
    /* The shortest period: 10 us whatever the count. */
    host_cycles = 7000;
    lwr(TIMER_DIVIDE, 0xb);
    lwr(TIMER_INITIAL, 1);
    CHECK_EQ(resume(v, RFLAGS_IF, 0).timer_deadline, 7000 + MIN_TICKS);
    lwr(TIMER_DIVIDE, 0x0);
    lwr(TIMER_INITIAL, (uint32_t)(MIN_TICKS / 2 + 1)); /* just above it */
    CHECK_EQ(resume(v, RFLAGS_IF, 0).timer_deadline, 7000 + 2 * (MIN_TICKS / 2 + 1));
    /* A count of 0 stops it. */
    lwr(TIMER_INITIAL, 0);
    CHECK_EQ(resume(v, RFLAGS_IF, 0).timer_deadline, UINT64_MAX);
    CHECK_EQ(lrd(TIMER_CURRENT), 0u);
    host_cycles += 1000000;
    CHECK_EQ(resume(v, RFLAGS_IF, 0).inject, 0u);

    /* Periodic, divide by 2: each period once; missed periods merge into one. */
    const uint64_t p = 0x10000, t0 = 100000;
    host_cycles = t0;
    lwr(LVT_TIMER, 0x20031);
    lwr(TIMER_DIVIDE, 0x0);
    lwr(TIMER_INITIAL, (uint32_t)(p / 2));
    CHECK_EQ(resume(v, RFLAGS_IF, 0).timer_deadline, t0 + p);
    host_cycles = t0 + p;
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x31));
    CHECK_EQ(s.timer_deadline, t0 + 2 * p);
    CHECK_EQ(lrd(TIMER_CURRENT), p / 2);
    lwr(EOI, 0);
    host_cycles = t0 + 4 * p + 6; /* periods 2, 3 and 4 passed */
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x31));
    CHECK_EQ(s.timer_deadline, t0 + 5 * p);
    CHECK_EQ(lrd(TIMER_CURRENT), (p - 6) / 2);
    lwr(EOI, 0);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u);
    CHECK(!lapic_pending(v));
    /* Read straight after an expiry, before any resume: the count is reloaded, not 0 (see
     * report). */
    host_cycles = t0 + 5 * p + 2 * 2;
    CHECK_EQ(lrd(TIMER_CURRENT), p / 2 - 2);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, INJ(0x31));
    lwr(EOI, 0);

    /* Masked: no vector and no kernel deadline, but it keeps running. */
    lwr(LVT_TIMER, 0x30031);
    host_cycles = t0 + 7 * p;
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u);
    CHECK_EQ(s.timer_deadline, UINT64_MAX);
    CHECK(!lapic_pending(v));
    lwr(LVT_TIMER, 0x20031);
    s = resume(v, RFLAGS_IF, 0);
    CHECK_EQ(s.inject, 0u);
    CHECK_EQ(s.timer_deadline, t0 + 8 * p);
    /* An expiry while interrupts are off waits in the IRR behind a window request. */
    host_cycles = t0 + 8 * p;
    s = resume(v, 0, 0);
    CHECK_EQ(s.inject, 0u);
    CHECK_EQ(s.want, KEEL_X86_WANT_IRQ_WINDOW);
    CHECK(vec_set(IRR, 0x31));
    CHECK_EQ(resume(v, RFLAGS_IF, 0).inject, INJ(0x31));
    lwr(EOI, 0);
    lwr(TIMER_INITIAL, 0);
    lwr(LVT_TIMER, 0x10000);
    CHECK_EQ(resume(v, RFLAGS_IF, 0).timer_deadline, UINT64_MAX);
}

static void enable_all(void)
{
    for (unsigned i = 0; i < vm.vcpu_count; i++) {
        self = &vm.vcpus[i];
        lwr(SVR, 0x1ff);
    }
    self = &vm.vcpus[0];
}

/* Which vCPUs have vector requested (a bit each); takes it from them. */
static unsigned got(unsigned vector)
{
    struct vcpu *was = self;
    unsigned mask = 0;
    for (unsigned i = 0; i < vm.vcpu_count; i++) {
        self = &vm.vcpus[i];
        if (vec_set(IRR, vector)) {
            mask |= 1u << i;
            CHECK_EQ(resume(self, RFLAGS_IF, 0).inject, INJ(vector));
            lwr(EOI, 0);
        }
    }
    self = was;
    return mask;
}

static void test_ipi(void)
{
    enable_all();
    self = &vm.vcpus[1];
    lwr(LDR, 0x02000000u);
    self = &vm.vcpus[2];
    lwr(LDR, 0x04000000u);
    self = &vm.vcpus[0];
    lwr(LDR, 0x01000000u);

    /* Fixed, physical destination: vCPU 1 only, kicked. */
    unsigned k0 = kicks[0], k1 = kicks[1], k2 = kicks[2];
    lwr(ICR_HIGH, 1u << 24);
    lwr(ICR_LOW, 0x41);
    CHECK_EQ(kicks[1], k1 + 1);
    CHECK_EQ(kicks[0], k0);
    CHECK_EQ(kicks[2], k2);
    CHECK_EQ(got(0x41), 1u << 1);
    CHECK_EQ(lrd(ICR_LOW), 0u); /* delivered at once */
    /* Physical 0xff: all. */
    lwr(ICR_HIGH, 0xffu << 24);
    lwr(ICR_LOW, 0x42);
    CHECK_EQ(got(0x42), 7u);
    /* Logical (flat): the LDR bits named. */
    lwr(ICR_HIGH, 0x06u << 24);
    lwr(ICR_LOW, 0x800 | 0x43);
    CHECK_EQ(got(0x43), 6u);
    /* Shorthands: self, all, all but self (the destination field is ignored). */
    lwr(ICR_HIGH, 2u << 24);
    lwr(ICR_LOW, (1u << 18) | 0x44);
    CHECK_EQ(got(0x44), 1u << 0);
    lwr(ICR_LOW, (2u << 18) | 0x45);
    CHECK_EQ(got(0x45), 7u);
    self = &vm.vcpus[1];
    k0 = kicks[0];
    k1 = kicks[1];
    k2 = kicks[2];
    lwr(ICR_LOW, (3u << 18) | 0x46);
    CHECK_EQ(kicks[0], k0 + 1);
    CHECK_EQ(kicks[2], k2 + 1);
    CHECK_EQ(kicks[1], k1);
    CHECK_EQ(got(0x46), 5u);
    self = &vm.vcpus[0];
    /* A mode not modelled (NMI) is reported and dropped. */
    unsigned r = reports;
    lwr(ICR_HIGH, 1u << 24);
    lwr(ICR_LOW, (4u << 8) | 0x47);
    CHECK_EQ(reports, r + 1);
    CHECK_EQ(got(0x47), 0u);

    /* INIT then STARTUP at vCPU 2 (off): it starts at the vector's page, once. */
    CHECK(vm.vcpus[2].power == VCPU_OFF);
    unsigned on = power_ons;
    lwr(ICR_HIGH, 2u << 24);
    lwr(ICR_LOW, 0x4500); /* INIT, assert */
    CHECK_EQ(power_ons, on);
    lwr(ICR_LOW, 0x8500); /* INIT, level de-assert */
    CHECK_EQ(power_ons, on);
    lwr(ICR_LOW, 0x4600 | 0x9a); /* STARTUP at 0x9a000 */
    CHECK_EQ(power_ons, on + 1);
    CHECK_EQ(vm.vcpus[2].start_pc, 0x9a000u);
    CHECK(vm.vcpus[2].power == VCPU_ON);
    CHECK_EQ(got(0x9a), 0u); /* not an interrupt */
    lwr(ICR_LOW, 0x4600 | 0x10); /* the second STARTUP of the pair: it runs already */
    CHECK_EQ(power_ons, on + 1);
    CHECK_EQ(vm.vcpus[2].start_pc, 0x9a000u);
    /* STARTUP to all others: vCPU 1 is on (not restarted); a pending one is not either. */
    vm.vcpus[2].power = VCPU_ON_PENDING;
    lwr(ICR_LOW, (3u << 18) | 0x4600 | 0x20);
    CHECK_EQ(power_ons, on + 1);
    /* A vCPU that cannot start is reported. */
    vm.vcpus[2].power = VCPU_OFF;
    power_on_result = -1;
    r = reports;
    lwr(ICR_LOW, 0x4600 | 0x20);
    CHECK_EQ(power_ons, on + 2);
    CHECK_EQ(reports, r + 1);
    power_on_result = 0;
    vm.vcpus[2].power = VCPU_ON;
    /* INIT at a vCPU that runs: it stops (off, kicked), its local APIC as after INIT but for its
     * id; de-assert changes nothing; the STARTUP pair then restarts it at the new page. */
    struct vlapic *l2 = &vm.vcpus[2].arch.lapic;
    l2->tpr = 0x30;
    l2->svr = 0x1ff;
    l2->irr[1] = 1;
    uint32_t id2 = l2->id;
    unsigned kicked = kicks[2];
    lwr(ICR_HIGH, id2 << 24);
    lwr(ICR_LOW, 0x4500); /* INIT, assert */
    CHECK(vm.vcpus[2].power == VCPU_OFF);
    CHECK_EQ(kicks[2], kicked + 1);
    CHECK_EQ(l2->tpr, 0u);
    CHECK_EQ(l2->svr, 0xffu);
    CHECK_EQ(l2->irr[1], 0u);
    CHECK_EQ(l2->id, id2);
    lwr(ICR_LOW, 0x8500); /* INIT, level de-assert: nothing */
    CHECK(vm.vcpus[2].power == VCPU_OFF);
    CHECK_EQ(kicks[2], kicked + 1);
    lwr(ICR_LOW, 0x4600 | 0x9b);
    lwr(ICR_LOW, 0x4600 | 0x9b);
    CHECK_EQ(power_ons, on + 3);
    CHECK_EQ(vm.vcpus[2].start_pc, 0x9b000u);
    CHECK(vm.vcpus[2].power == VCPU_ON);
    /* INIT to all others (firmware's broadcast): vCPU 0, the sender, runs on. */
    lwr(ICR_LOW, (3u << 18) | 0x4500);
    CHECK(vm.vcpus[2].power == VCPU_OFF && vm.vcpus[1].power == VCPU_OFF);
    CHECK(vm.vcpus[0].power != VCPU_OFF);
    vm.vcpus[1].power = vm.vcpus[2].power = VCPU_ON;
    lwr(ICR_HIGH, 0);
}

/* The I/O APIC's registers through its select (0x00) and data (0x10) windows. */
static void iosel(uint32_t reg)
{
    uint64_t v = reg;
    CHECK(ioapic_dev->access(ioapic_dev, 0x00, 4, true, &v));
}

static uint32_t iord(uint32_t reg)
{
    uint64_t v = 0;
    iosel(reg);
    CHECK(ioapic_dev->access(ioapic_dev, 0x10, 4, false, &v));
    return (uint32_t)v;
}

static void iowr(uint32_t reg, uint32_t value)
{
    uint64_t v = value;
    iosel(reg);
    CHECK(ioapic_dev->access(ioapic_dev, 0x10, 4, true, &v));
}

#define RTE_LO(line) (0x10 + 2 * (line))
#define RTE_HI(line) (0x11 + 2 * (line))

static void test_ioapic(void)
{
    enable_all();
    uint64_t x = 0;
    CHECK_EQ(ioapic_create(&vm, gpa_init(0xfec00000)), -1); /* one per VM */
    CHECK(!ioapic_dev->access(ioapic_dev, 0x00, 2, true, &x));
    CHECK(!ioapic_dev->access(ioapic_dev, 0x10, 8, false, &x));
    CHECK(!ioapic_dev->access(ioapic_dev, 0x04, 4, false, &x));
    CHECK(!ioapic_dev->access(ioapic_dev, 0x20, 4, true, &x));
    CHECK(!ioapic_dev->access(ioapic_dev, 0x40, 4, false, &x));

    /* Select register: 8 bits, reads back. */
    iosel(0x1234);
    CHECK(ioapic_dev->access(ioapic_dev, 0x00, 4, false, &x));
    CHECK_EQ(x, 0x34u);
    /* ID, version (24 lines), arbitration. */
    CHECK_EQ(iord(1), 0x00170011u);
    iowr(1, 0);
    CHECK_EQ(iord(1), 0x00170011u);
    iowr(0, 0xff000000u);
    CHECK_EQ(iord(0), 0x0f000000u);
    CHECK_EQ(iord(2), 0x0f000000u);
    iowr(0, 0);
    CHECK_EQ(iord(0), 0u);
    /* Redirection entries: masked at reset; read-only bits (12, 14) and reserved ones kept. */
    for (unsigned line = 0; line < 24; line++) {
        CHECK_EQ(iord(RTE_LO(line)), 0x10000u);
        CHECK_EQ(iord(RTE_HI(line)), 0u);
    }
    iowr(RTE_LO(7), 0xffffffffu);
    CHECK_EQ(iord(RTE_LO(7)), 0x1afffu);
    iowr(RTE_HI(7), 0xffffffffu);
    CHECK_EQ(iord(RTE_HI(7)), 0xff000000u);
    CHECK_EQ(iord(RTE_LO(7)), 0x1afffu);
    iowr(RTE_LO(7), 0x10000);
    iowr(RTE_HI(7), 0);
    CHECK_EQ(iord(RTE_LO(7)), 0x10000u);
    /* Beyond the 24 entries: nothing. */
    iowr(RTE_LO(24), 0x50);
    CHECK_EQ(iord(RTE_LO(24)), 0u);
    CHECK_EQ(iord(0x3f), 0u);

    /* A masked edge line delivers nothing; unmasked, a rise only. */
    struct vcpu *v0 = &vm.vcpus[0], *v1 = &vm.vcpus[1];
    self = v0;
    iowr(RTE_LO(3), 0x10050);
    unsigned k = kicks[0];
    vm_irq_set(&vm, 3, true);
    vm_irq_set(&vm, 3, false);
    CHECK_EQ(kicks[0], k);
    CHECK_EQ(got(0x50), 0u);
    iowr(RTE_LO(3), 0x50);
    vm_irq_set(&vm, 3, true);
    CHECK_EQ(kicks[0], k + 1);
    CHECK_EQ(got(0x50), 1u << 0);
    vm_irq_set(&vm, 3, true); /* still high: no edge */
    CHECK_EQ(kicks[0], k + 1);
    CHECK_EQ(got(0x50), 0u);
    vm_irq_set(&vm, 3, false);
    CHECK_EQ(got(0x50), 0u);
    vm_irq_set(&vm, 3, true);
    CHECK_EQ(got(0x50), 1u << 0);
    vm_irq_set(&vm, 3, false);
    CHECK(!vec_set(TMR, 0x50)); /* edge */

    /* A level line to vCPU 1: once until its EOI, again while still high, not after it fell. */
    iowr(RTE_HI(5), 1u << 24);
    iowr(RTE_LO(5), 0x8060);
    self = v1;
    k = kicks[1];
    vm_irq_set(&vm, 5, true);
    CHECK_EQ(kicks[1], k + 1);
    CHECK(vec_set(IRR, 0x60));
    CHECK(vec_set(TMR, 0x60));
    CHECK_EQ(iord(RTE_LO(5)), 0xc060u); /* remote IRR */
    iowr(RTE_LO(5), 0x8060);            /* a guest's rewrite keeps it */
    CHECK_EQ(iord(RTE_LO(5)), 0xc060u);
    CHECK_EQ(resume(v1, RFLAGS_IF, 0).inject, INJ(0x60));
    vm_irq_set(&vm, 5, true);
    CHECK_EQ(kicks[1], k + 1);
    CHECK(!vec_set(IRR, 0x60));
    lwr(EOI, 0); /* still high: again */
    CHECK_EQ(kicks[1], k + 2);
    CHECK(vec_set(IRR, 0x60));
    CHECK_EQ(iord(RTE_LO(5)), 0xc060u);
    CHECK_EQ(resume(v1, RFLAGS_IF, 0).inject, INJ(0x60));
    vm_irq_set(&vm, 5, false);
    lwr(EOI, 0); /* it fell: no more */
    CHECK_EQ(kicks[1], k + 2);
    CHECK(!vec_set(IRR, 0x60));
    CHECK(!vec_set(TMR, 0x60));
    CHECK_EQ(iord(RTE_LO(5)), 0x8060u);
    /* The EOI of another vector leaves the remote IRR. */
    vm_irq_set(&vm, 5, true);
    CHECK_EQ(resume(v1, RFLAGS_IF, 0).inject, INJ(0x60));
    lapic_raise(v1, 0x70, true);
    CHECK_EQ(resume(v1, RFLAGS_IF, 0).inject, INJ(0x70));
    lwr(EOI, 0); /* ends 0x70 */
    CHECK_EQ(iord(RTE_LO(5)), 0xc060u);
    vm_irq_set(&vm, 5, false);
    lwr(EOI, 0);
    CHECK_EQ(iord(RTE_LO(5)), 0x8060u);
    /* Masked while high: nothing; unmasking delivers then. */
    iowr(RTE_LO(5), 0x18060);
    vm_irq_set(&vm, 5, true);
    CHECK(!vec_set(IRR, 0x60));
    iowr(RTE_LO(5), 0x8060);
    CHECK(vec_set(IRR, 0x60));
    CHECK_EQ(iord(RTE_LO(5)), 0xc060u);
    vm_irq_set(&vm, 5, false);
    CHECK_EQ(resume(v1, RFLAGS_IF, 0).inject, INJ(0x60));
    lwr(EOI, 0);
    CHECK_EQ(iord(RTE_LO(5)), 0x8060u);
    self = v0;
    /* Made edge-triggered, an entry loses its remote IRR. */
    iowr(RTE_LO(6), 0x8068);
    vm_irq_set(&vm, 6, true);
    CHECK_EQ(iord(RTE_LO(6)), 0xc068u);
    iowr(RTE_LO(6), 0x68);
    CHECK_EQ(iord(RTE_LO(6)), 0x68u);
    CHECK_EQ(got(0x68), 1u << 0);
    vm_irq_set(&vm, 6, false);

    /* Logical destination (a bit per APIC id) and lowest priority (the first of them). */
    iowr(RTE_HI(9), 0x06u << 24);
    iowr(RTE_LO(9), 0x800 | 0x58);
    vm_irq_set(&vm, 9, true);
    vm_irq_set(&vm, 9, false);
    CHECK_EQ(got(0x58), 6u);
    iowr(RTE_LO(9), 0x900 | 0x58);
    vm_irq_set(&vm, 9, true);
    vm_irq_set(&vm, 9, false);
    CHECK_EQ(got(0x58), 1u << 1);

    /* Lines 24 and up do not exist. */
    unsigned irq_reports = vm.arch.irq_reports;
    unsigned k0 = kicks[0], k1 = kicks[1], k2 = kicks[2];
    vm_irq_set(&vm, 24, true);
    vm_irq_set(&vm, 31, true);
    vm_irq_set(&vm, 1000, true);
    CHECK_EQ(vm.arch.irq_reports, irq_reports + 3);
    CHECK(kicks[0] == k0 && kicks[1] == k1 && kicks[2] == k2);
}

int main(void)
{
    vm.name = "t";
    vm.vcpu_count = 3;
    for (unsigned i = 0; i < vm.vcpu_count; i++) {
        vm.vcpus[i].vm = &vm;
        vm.vcpus[i].id = i;
        vm.vcpus[i].mpidr = i;
        vm.vcpus[i].power = i < 2 ? VCPU_ON : VCPU_OFF;
    }
    CHECK_EQ(lapic_create(&vm, gpa_init(LAPIC_BASE)), 0);
    CHECK(vm.arch.lapic);
    lapic_dev = &vm.devices[0];
    CHECK_STR(lapic_dev->name, "lapic");
    CHECK_EQ(gpa_val(lapic_dev->base), LAPIC_BASE);
    CHECK_EQ(lapic_dev->size, 0x1000u);
    test_lapic_regs();
    test_lapic_irq();
    test_lapic_timer();
    test_ipi();
    CHECK_EQ(ioapic_create(&vm, gpa_init(0xfec00000)), 0);
    ioapic_dev = &vm.devices[1];
    CHECK_STR(ioapic_dev->name, "ioapic");
    test_ioapic();
    return unit_done("test_vmm_x86_64_irq");
}

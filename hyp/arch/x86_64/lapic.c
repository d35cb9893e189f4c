// SPDX-License-Identifier: MIT
/*
 * The local APIC in xAPIC mode (memory-mapped at the address IA32_APIC_BASE names; QEMU 7.2's TCG
 * has no x2APIC): end of interrupt, inter-processor interrupts (fixed, and INIT/STARTUP to start
 * a CPU), and the timer the kernel's deadline is programmed into (timer.c).
 */
#include <keel/percpu.h>
#include <keel/mmio.h>
#include <keel/phys.h>
#include <arch/mmu.h>
#include <arch/msr.h>
#include <arch/pio.h>
#include <arch/x86.h>

enum {
    LAPIC_ID = 0x20,
    LAPIC_TPR = 0x80,
    LAPIC_EOI = 0xb0,
    LAPIC_SVR = 0xf0,
    LAPIC_ICR_LOW = 0x300,
    LAPIC_ICR_HIGH = 0x310,
    LAPIC_LVT_TIMER = 0x320,
    LAPIC_LVT_LINT0 = 0x350,
    LAPIC_LVT_LINT1 = 0x360,
    LAPIC_LVT_ERROR = 0x370,
    LAPIC_TIMER_INIT = 0x380,
    LAPIC_TIMER_CUR = 0x390,
    LAPIC_TIMER_DIV = 0x3e0,
};

#define APIC_BASE_ENABLE (1u << 11)
#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_NMI (4u << 8)
#define ICR_PENDING (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define TIMER_DIV_16 0x3

static uintptr_t lapic;

static uint32_t rd(unsigned reg) { return mmio_read32(lapic + reg); }
static void wr(unsigned reg, uint32_t v) { mmio_write32(lapic + reg, v); }

/* Masks the legacy 8259 PICs (after moving their vectors off the exceptions): all device
 * interrupts come through the I/O APIC. */
static void pic_disable(void)
{
    static const uint8_t init[2][4] = { { 0x11, 0x20, 0x04, 0x01 }, { 0x11, 0x28, 0x02, 0x01 } };
    for (unsigned i = 0; i < 2; i++) {
        uint16_t cmd = i ? 0xa0 : 0x20, data = (uint16_t)(cmd + 1);
        outb(cmd, init[i][0]);
        for (unsigned w = 1; w < 4; w++) {
            outb(data, init[i][w]);
        }
        outb(data, 0xff);
    }
}

void lapic_init_cpu(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    if (!lapic) {
        paddr_t pa = pa_init(base & ~0xfffull & ((1ull << 52) - 1));
        lapic = (uintptr_t)kva_from_pa(pa);
        phys_reserve(pa, PAGE_SIZE); /* the kernel's: never mapped to user level */
        pic_disable();
    }
    wr(LAPIC_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
    wr(LAPIC_TPR, 0);
    wr(LAPIC_LVT_LINT0, LVT_MASKED);
    wr(LAPIC_LVT_LINT1, LVT_NMI);
    wr(LAPIC_LVT_ERROR, LVT_MASKED);
    wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
    wr(LAPIC_LVT_TIMER, VECTOR_TIMER); /* one-shot */
    wr(LAPIC_TIMER_INIT, 0);
    wr(LAPIC_EOI, 0);
    this_cpu()->arch.apic_id = lapic_id();
}

uint32_t lapic_id(void)
{
    return rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
    wr(LAPIC_EOI, 0);
}

static void icr_send(uint32_t apic_id, uint32_t low)
{
    wr(LAPIC_ICR_HIGH, apic_id << 24);
    wr(LAPIC_ICR_LOW, low);
    while (rd(LAPIC_ICR_LOW) & ICR_PENDING) {
        __asm__ volatile("pause");
    }
}

void lapic_send_ipi(uint32_t apic_id, unsigned vector)
{
    icr_send(apic_id, ICR_ASSERT | vector);
}

void lapic_start_cpu(uint32_t apic_id)
{
    icr_send(apic_id, ICR_ASSERT | ICR_INIT);
    pit_wait_us(10000);
    for (unsigned i = 0; i < 2; i++) {
        icr_send(apic_id, ICR_ASSERT | ICR_STARTUP | (AP_TRAMPOLINE_PA >> 12));
        pit_wait_us(200);
    }
}

void lapic_timer_oneshot(uint32_t count)
{
    wr(LAPIC_TIMER_INIT, count);
}

uint32_t lapic_timer_count(void)
{
    return rd(LAPIC_TIMER_CUR);
}

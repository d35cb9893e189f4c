// SPDX-License-Identifier: MIT
/*
 * The kernel timer on x86_64: time is the TSC, deadlines go into the local APIC timer (one-shot,
 * divide by 16), whose count is the distance to the deadline scaled to the APIC's rate. Both rates
 * are measured once against the PIT (10 ms); QEMU's qemu64 has neither the TSC-deadline mode nor
 * CPUID leaf 0x15. A deadline beyond the APIC counter's range fires early, which the scheduler
 * tolerates (it re-arms).
 */
#include <keel/arch/timer.h>
#include <keel/printk.h>
#include <arch/msr.h>
#include <arch/x86.h>

#define CALIBRATE_US 10000

static uint64_t tsc_hz;
static uint64_t apic_per_tsc; /* APIC timer ticks per TSC tick, 32.32 fixed point */

void arch_timer_init(const void *fdt)
{
    (void)fdt;
    lapic_timer_oneshot(0xffffffff); /* LVT: one-shot; the interrupt comes only after ~minutes */
    uint64_t t0 = rdtsc();
    uint32_t a0 = lapic_timer_count();
    pit_wait_us(CALIBRATE_US);
    uint64_t t1 = rdtsc();
    uint32_t a1 = lapic_timer_count();
    lapic_timer_oneshot(0);
    tsc_hz = (t1 - t0) * (1000000 / CALIBRATE_US);
    uint64_t apic_hz = (uint64_t)(a0 - a1) * (1000000 / CALIBRATE_US);
    if (!tsc_hz || !apic_hz) {
        panic("timer: cannot calibrate the TSC and the APIC timer");
    }
    apic_per_tsc = (uint64_t)(((unsigned __int128)apic_hz << 32) / tsc_hz);
    printk("timer: TSC %lu kHz, APIC timer %lu kHz\n", (unsigned long)(tsc_hz / 1000),
           (unsigned long)(apic_hz / 1000));
}

void arch_timer_init_cpu(void)
{
    lapic_timer_oneshot(0);
}

uint64_t arch_timer_now(void)
{
    return rdtsc();
}

uint64_t arch_timer_freq(void)
{
    return tsc_hz;
}

void arch_timer_set_deadline(uint64_t ticks)
{
    if (ticks == UINT64_MAX) {
        lapic_timer_oneshot(0); /* stops it */
        return;
    }
    uint64_t now = rdtsc(), delta = ticks > now ? ticks - now : 1;
    unsigned __int128 count = ((unsigned __int128)delta * apic_per_tsc) >> 32;
    lapic_timer_oneshot(count < 1 ? 1 : count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
}

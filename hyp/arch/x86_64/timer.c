// SPDX-License-Identifier: MIT
/*
 * The kernel timer on x86_64: time is the TSC, deadlines go into the local APIC timer (one-shot,
 * divide by 16), whose count is the distance to the deadline scaled to the APIC's rate. Both rates
 * are measured against the PIT (the most certain of five 5 ms rounds); QEMU's qemu64 has neither the TSC-deadline mode nor
 * CPUID leaf 0x15. A deadline beyond the APIC counter's range fires early, which the scheduler
 * tolerates (it re-arms).
 */
#include <keel/arch/timer.h>
#include <keel/printk.h>
#include <arch/msr.h>
#include <arch/x86.h>

#define CALIBRATE_US 5000
#define CALIBRATE_ROUNDS 5

static uint64_t tsc_hz;
static uint64_t apic_per_tsc; /* APIC timer ticks per TSC tick, 32.32 fixed point */

/* The most certain of a few rounds: each round brackets the PIT's start between two TSC reads and
 * its end between the last poll that found it counting and the one that found it done; a CPU
 * held up in either bracket (an emulator's thread the host preempts, an SMI) widens it. One
 * 10 ms round read 2.7 GHz for 2.1 on a busy host, and every guest's clock inherits the rate
 * (kvm-clock, tsc_early_khz). The APIC's count is read beside the TSC: their ratio is its rate. */
void arch_timer_init(const void *fdt)
{
    (void)fdt;
    uint64_t best_width = UINT64_MAX, best_tsc = 0, best_apic = 0;
    lapic_timer_oneshot(0xffffffff); /* LVT: one-shot; the interrupt comes only after ~minutes */
    for (unsigned i = 0; i < CALIBRATE_ROUNDS; i++) {
        uint64_t s0 = rdtsc();
        pit_start_us(CALIBRATE_US);
        uint64_t s1 = rdtsc();
        uint32_t a0 = lapic_timer_count();
        uint64_t before = s1, poll = s1, e1;
        for (;;) {
            before = poll;
            poll = rdtsc();
            if (pit_done()) {
                e1 = rdtsc();
                break;
            }
            __asm__ volatile("pause");
        }
        uint32_t a1 = lapic_timer_count();
        uint64_t width = (s1 - s0) + (e1 - before);
        if (width < best_width) {
            best_width = width;
            best_tsc = (e1 - s1) + (before - s0); /* twice the bracket middles' distance */
            best_tsc /= 2;
            best_apic = a0 - a1;
        }
    }
    lapic_timer_oneshot(0);
    tsc_hz = best_tsc * (1000000 / CALIBRATE_US);
    uint64_t apic_hz = best_apic * (1000000 / CALIBRATE_US);
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

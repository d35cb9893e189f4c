// SPDX-License-Identifier: MIT
/*
 * The kernel timer on x86_64: time is the TSC, deadlines go into the local APIC timer (one-shot,
 * divide by 16), whose count is the distance to the deadline scaled to the APIC's rate. Both rates
 * are measured against the PIT (five 10 ms rounds, the median of the three narrowest); QEMU's qemu64 has neither the TSC-deadline mode nor
 * CPUID leaf 0x15. A deadline beyond the APIC counter's range fires early, which the scheduler
 * tolerates (it re-arms).
 */
#include <keel/arch/timer.h>
#include <keel/printk.h>
#include <arch/msr.h>
#include <arch/x86.h>

#define CALIBRATE_US 10000
#define CALIBRATE_ROUNDS 5

static uint64_t tsc_hz;
static uint64_t apic_per_tsc; /* APIC timer ticks per TSC tick, 32.32 fixed point */

/* One round: count PIT ticks measured in TSC ticks, and the APIC timer's ticks against the TSC.
 * Each event is bracketed by TSC reads: the PIT's start (the one port write that starts it), its
 * end (between the last poll that found it counting and the one that found it done) and the two
 * APIC reads; a CPU held up inside a bracket (an emulator's thread the host preempts, an SMI)
 * widens it. */
struct round {
    uint64_t width;    /* the brackets' total: the round's uncertainty */
    uint64_t tsc;      /* TSC ticks between the PIT's start and end (bracket middles) */
    uint64_t apic_tsc; /* TSC ticks between the two APIC reads (bracket middles) */
    uint32_t apic, count;
};

static bool calibrate_round(struct round *r)
{
    r->count = pit_arm_us(CALIBRATE_US);
    uint64_t s0 = rdtsc();
    pit_go(r->count);
    uint64_t s1 = rdtsc();
    uint32_t a0 = lapic_timer_count();
    uint64_t s2 = rdtsc(), before = s2, poll;
    bool counting = false;
    for (;;) {
        poll = rdtsc();
        if (pit_done()) {
            break;
        }
        before = poll; /* the end comes after this poll's read */
        counting = true;
        __asm__ volatile("pause");
    }
    uint64_t e1 = rdtsc();
    uint32_t a1 = lapic_timer_count();
    uint64_t e2 = rdtsc();
    r->width = (s1 - s0) + (e1 - before) + (s2 - s1) + (e2 - e1);
    r->tsc = ((before + e1) - (s0 + s1)) / 2;
    r->apic_tsc = ((e1 + e2) - (s1 + s2)) / 2;
    r->apic = a0 - a1;
    return counting && r->tsc && r->apic_tsc; /* (done at the first poll: the round saw nothing) */
}

/* Of a few rounds, the median rate of the three narrowest: one 10 ms round read 2406 and 2695 MHz
 * for 2096 on a busy host (held up between the PIT's end and the reads), and every guest's clock
 * inherits the rate (kvm-clock, tsc_early_khz); a narrow round once read 2049 (the host's own
 * clock?): the median of three leaves one such out. The rate is count ticks of the PIT's
 * 1193182 Hz as programmed (a 10 ms count is 11931 ticks, 9999.3 us). */
void arch_timer_init(const void *fdt)
{
    (void)fdt;
    struct round rounds[CALIBRATE_ROUNDS];
    unsigned n = 0;
    lapic_timer_oneshot(0xffffffff); /* LVT: one-shot; the interrupt comes only after ~minutes */
    for (unsigned i = 0; i < CALIBRATE_ROUNDS; i++) {
        struct round r;
        if (!calibrate_round(&r)) {
            continue;
        }
        unsigned j = n++; /* kept in order of width */
        for (; j > 0 && rounds[j - 1].width > r.width; j--) {
            rounds[j] = rounds[j - 1];
        }
        rounds[j] = r;
    }
    lapic_timer_oneshot(0);
    unsigned use = n < 3 ? n : 3, mid = 0;
    for (unsigned i = 0; i < use; i++) { /* the median of the narrowest `use` by their rate */
        unsigned below = 0;
        for (unsigned j = 0; j < use; j++) {
            below += rounds[j].tsc * rounds[i].count < rounds[i].tsc * rounds[j].count ||
                     (j < i && rounds[j].tsc * rounds[i].count == rounds[i].tsc * rounds[j].count);
        }
        if (below == use / 2) {
            mid = i;
        }
    }
    if (n) {
        tsc_hz = rounds[mid].tsc * PIT_HZ / rounds[mid].count;
        apic_per_tsc = (uint64_t)(((unsigned __int128)rounds[mid].apic << 32) /
                                  rounds[mid].apic_tsc);
    }
    uint64_t apic_hz = (uint64_t)(((unsigned __int128)tsc_hz * apic_per_tsc) >> 32);
    if (tsc_hz < 1000000 || tsc_hz > 100000000000ull || apic_hz < 1000) {
        panic("timer: cannot calibrate the TSC and the APIC timer");
    }
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

// SPDX-License-Identifier: MIT
/*
 * A real-time guest of Keel's own: bare metal, one vCPU, it measures in its own counter how late
 * its interrupts reach their handler and prints, per round, exact order statistics of
 *
 *   timer   RT_TIMER_SAMPLES ticks of a periodic timer (every RT_PERIOD_US): the counter at the
 *           handler's entry minus the deadline the tick was programmed for. Between ticks the
 *           guest waits in WFI, as an idle RTOS does: the VMM sleeps until the deadline, the
 *           kernel injects the interrupt (arm64: list register; riscv64: VSTIP; x86_64: the
 *           VMM's LAPIC model, TSC-deadline).
 *   device  RT_DEVICE_SAMPLES transmit interrupts of the UART: from the counter read just before
 *           the write to its data register (an exit to the VMM, whose model raises the line and
 *           whose interrupt-controller model injects it before resuming) to the handler's entry.
 *
 * as lines of a fixed format (the system test's markers):
 *
 *   rt: timer samples 2000 min <t> p50 <t> p99 <t> max <t> ticks, freq <Hz> Hz
 *   rt: timer samples 2000 min <ns> p50 <ns> p99 <ns> max <ns> ns
 *   rt: device samples 500 ...   (the same two lines)
 *
 * RT_ROUNDS (set by the build) rounds, then rt_main() returns the status the VM powers off with:
 * 0, or 1 when a sample was later than RT_LIMIT_US. With RT_ROUNDS 0 (the demo image) it runs
 * for ever. Rounds do not overlap: the timer is stopped while the device is measured and while
 * the guest prints (with the UART's interrupt off).
 */
#include "rt.h"
#include "rt_stats.h"
#include <format.h>
#include <stdarg.h>

#ifndef RT_ROUNDS
#error "RT_ROUNDS: the number of rounds (0: for ever)"
#endif
#define RT_PERIOD_US 1000
#define RT_TIMER_SAMPLES 2000
#define RT_DEVICE_SAMPLES 500
#define RT_LIMIT_US 50000 /* as the latency test's ticker (cmake/system_tests.cmake) */

/* Shared with the interrupt handlers: what they write, the loops below read (volatile). */
static struct {
    uint64_t samples[RT_TIMER_SAMPLES];
    uint64_t deadline, period;
    volatile unsigned taken;
} timer;

static struct {
    uint64_t samples[RT_DEVICE_SAMPLES];
    volatile uint64_t entry;
    volatile unsigned irqs;
} device;

static void sink(void *ctx, char c)
{
    (void)ctx;
    rt_arch_putc(c);
}

void rt_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(sink, NULL, fmt, ap);
    va_end(ap);
}

/* The timer's interrupt: one sample, and the next tick one period after this one's deadline (a
 * late tick does not move the ones after it). An interrupt before its deadline is not a tick. */
void rt_timer_irq(uint64_t entry)
{
    if (timer.taken >= RT_TIMER_SAMPLES || entry < timer.deadline) {
        return;
    }
    timer.samples[timer.taken] = entry - timer.deadline;
    timer.taken = timer.taken + 1;
    if (timer.taken < RT_TIMER_SAMPLES) {
        timer.deadline += timer.period;
        rt_arch_timer_set(timer.deadline);
    } else {
        rt_arch_timer_stop();
    }
}

void rt_device_irq(uint64_t entry)
{
    device.entry = entry;
    device.irqs = device.irqs + 1;
}

static void measure_timer(void)
{
    timer.taken = 0;
    timer.deadline = rt_arch_counter() + timer.period;
    rt_arch_timer_set(timer.deadline);
    /* Masked around the WFI: a tick that comes just before it stays pending and ends it. */
    while (timer.taken < RT_TIMER_SAMPLES) {
        rt_arch_wait();
        rt_arch_irq_window();
    }
}

static void measure_device(void)
{
    rt_arch_uart_tx_irq(true);
    rt_arch_irq_unmask(); /* (an interrupt the enabling raised is taken here, before a sample) */
    for (unsigned i = 0; i < RT_DEVICE_SAMPLES; i++) {
        unsigned seen = device.irqs;
        uint64_t start = rt_arch_uart_kick();
        while (device.irqs == seen) {
            /* busy: a WFI would exit to the VMM, which is what is measured */
        }
        device.samples[i] = device.entry - start;
    }
    rt_arch_irq_mask();
    rt_arch_uart_tx_irq(false);
}

static uint64_t ns(uint64_t ticks, uint64_t freq)
{
    return ticks * 1000000000ull / freq;
}

/* Prints the two lines of one measurement (sorting its samples); whether all were in the limit. */
static bool report(const char *what, uint64_t *samples, unsigned n, uint64_t freq)
{
    struct rt_stats s = rt_stats_of(samples, n);
    rt_say("rt: %s samples %u min %lu p50 %lu p99 %lu max %lu ticks, freq %lu Hz\n", what, n,
           (unsigned long)s.min, (unsigned long)s.p50, (unsigned long)s.p99, (unsigned long)s.max,
           (unsigned long)freq);
    rt_say("rt: %s samples %u min %lu p50 %lu p99 %lu max %lu ns\n", what, n,
           (unsigned long)ns(s.min, freq), (unsigned long)ns(s.p50, freq),
           (unsigned long)ns(s.p99, freq), (unsigned long)ns(s.max, freq));
    return ns(s.max, freq) <= RT_LIMIT_US * 1000ull;
}

int rt_main(void)
{
    uint64_t freq = rt_arch_counter_freq();
    bool ok = true;
    rt_arch_init();
    timer.period = freq * RT_PERIOD_US / 1000000;
    rt_say("rt: real-time guest: timer every %u us, %u samples, device (UART) %u samples a round\n",
           RT_PERIOD_US, RT_TIMER_SAMPLES, RT_DEVICE_SAMPLES);
    for (unsigned round = 1; RT_ROUNDS == 0 || round <= RT_ROUNDS; round++) {
        measure_timer();
        measure_device();
        if (RT_ROUNDS) {
            rt_say("rt: round %u of %u\n", round, RT_ROUNDS);
        } else {
            rt_say("rt: round %u\n", round);
        }
        ok = report("timer", timer.samples, RT_TIMER_SAMPLES, freq) && ok;
        ok = report("device", device.samples, RT_DEVICE_SAMPLES, freq) && ok;
    }
    rt_say("rt: done, %u rounds, %s (limit %u us)\n", RT_ROUNDS, ok ? "OK" : "TOO LATE",
           RT_LIMIT_US);
    return ok ? 0 : 1;
}

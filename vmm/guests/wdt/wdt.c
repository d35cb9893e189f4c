// SPDX-License-Identifier: MIT
/*
 * The watchdog guest (see wdt.h): bare metal, one vCPU. It tells its first boot from the one
 * after a reset by its PL031 (RAM is zeroed at a reset of the VM; the RTC's count runs on): on
 * the first it loads the count with WDT_MARK, on a later one it finds the count past it.
 *
 * First boot:
 *   1. W_IIDR in both frames (architecture revision 1), WCS 0 at power on.
 *   2. WOR = WDT_PERIOD_MS, enabled; fed WDT_FEEDS times through WRR, one every half period, each
 *      time with WS0 still clear ("wdt: fed <n> of <N>").
 *   3. Fed once more, it waits in WFI for WS0's interrupt, which must come no earlier than WOR
 *      after that refresh (nor so late that WS1 would have come first); its handler refreshes
 *      through WRR, which lowers the line.
 *   4. It stops feeding and spins with interrupts masked, making no exit at all: WS1 comes two
 *      periods after the last refresh and the VMM resets the VM.
 * After the reset (the VMM restarts the VM in place; the PL031 keeps counting): the watchdog is
 * in its reset state (WCS, WOR 0); the guest says so and powers off with status 0.
 * Any check that fails powers off with status 1 (after a line with FAILED).
 */
#include "wdt.h"
#include <format.h>
#include <stdarg.h>
#include <stdbool.h>

#define WDT_PERIOD_MS 50
#define WDT_FEEDS 5
#define WDT_MARK 0xc0000000u /* RTC counts from here on after the first boot */

enum { WCS = 0x000, WOR = 0x008, WORU = 0x00c, WCV = 0x010, WCVU = 0x014, W_IIDR = 0xfcc };
enum { WRR = 0x000 };
enum { RTCDR = 0x000, RTCLR = 0x008 };
#define WCS_EN 1u
#define WCS_WS0 2u

static struct {
    volatile uint64_t entry; /* the counter at the WS0 handler's entry (0: not yet) */
    volatile uint32_t wcs;   /* WCS as the handler found it */
} ws0;

static void sink(void *ctx, char c)
{
    (void)ctx;
    wdt_arch_putc(c);
}

void rt_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(sink, NULL, fmt, ap);
    va_end(ap);
}

void wdt_ws0_irq(uint64_t entry)
{
    if (ws0.entry == 0) {
        ws0.wcs = wdt_arch_r32(WDT_CONTROL + WCS);
        ws0.entry = entry;
    }
    wdt_arch_w32(WDT_REFRESH + WRR, 0); /* WS0 clears: the line falls */
}

static uint64_t wcv(void)
{
    return wdt_arch_r32(WDT_CONTROL + WCV) | (uint64_t)wdt_arch_r32(WDT_CONTROL + WCVU) << 32;
}

static int failed(const char *what)
{
    rt_say("wdt: FAILED: %s\n", what);
    return 1;
}

static int second_boot(void)
{
    rt_say("wdt: boot after the watchdog's reset\n");
    if (wdt_arch_r32(WDT_CONTROL + WCS) != 0 || wdt_arch_r32(WDT_CONTROL + WOR) != 0) {
        return failed("the watchdog is not in its reset state after the reset");
    }
    rt_say("wdt: the watchdog is off after the reset: OK\n");
    return 0;
}

int rt_main(void)
{
    wdt_arch_init();
    if (wdt_arch_r32(WDT_RTC + RTCDR) >= WDT_MARK) {
        return second_boot();
    }
    wdt_arch_w32(WDT_RTC + RTCLR, WDT_MARK);
    uint64_t freq = wdt_arch_counter_freq(), period = freq * WDT_PERIOD_MS / 1000;
    uint32_t iidr = wdt_arch_r32(WDT_CONTROL + W_IIDR);
    rt_say("wdt: first boot: watchdog W_IIDR 0x%x, counter at %lu Hz, period %u ms\n",
           (unsigned)iidr, (unsigned long)freq, WDT_PERIOD_MS);
    if (((iidr >> 16) & 0xf) != 1 || wdt_arch_r32(WDT_REFRESH + W_IIDR) != iidr) {
        return failed("W_IIDR: not architecture revision 1, or not the same in both frames");
    }
    if (wdt_arch_r32(WDT_CONTROL + WCS) != 0) {
        return failed("WCS is not 0 at power on");
    }

    /* Enabled, and fed every half period. */
    wdt_arch_w32(WDT_CONTROL + WOR, (uint32_t)period);
    wdt_arch_w32(WDT_CONTROL + WORU, (uint32_t)(period >> 32));
    wdt_arch_w32(WDT_CONTROL + WCS, WCS_EN);
    for (unsigned i = 1; i <= WDT_FEEDS; i++) {
        uint64_t until = wdt_arch_counter() + period / 2;
        while (wdt_arch_counter() < until) {
        }
        if (wdt_arch_r32(WDT_CONTROL + WCS) != WCS_EN) {
            return failed("WS0 before a period without feeding");
        }
        wdt_arch_w32(WDT_REFRESH + WRR, 0);
        rt_say("wdt: fed %u of %u\n", i, WDT_FEEDS);
    }

    /* WS0's interrupt while the guest waits in WFI. */
    uint64_t before = wdt_arch_counter();
    wdt_arch_w32(WDT_REFRESH + WRR, 0);
    uint64_t due = wcv();
    if (due < before + period) {
        return failed("WCV is not the counter plus WOR after a refresh");
    }
    while (ws0.entry == 0) {
        wdt_arch_wait_and_take();
    }
    uint64_t after = ws0.entry - before;
    rt_say("wdt: WS0 interrupt %lu us after the refresh (WCS 0x%x)\n",
           (unsigned long)(after * 1000000 / freq), (unsigned)ws0.wcs);
    if (ws0.entry < due || !(ws0.wcs & WCS_WS0)) {
        return failed("WS0's interrupt before WCV, or without WS0");
    }
    if (wdt_arch_r32(WDT_CONTROL + WCS) != WCS_EN) {
        return failed("WS0 still set after the handler's refresh");
    }

    /* No more feeding: WS1 two periods after the last refresh resets the VM. */
    wdt_arch_w32(WDT_REFRESH + WRR, 0);
    rt_say("wdt: no more feeding: spinning with interrupts masked\n");
    for (;;) {
        __asm__ volatile("" ::: "memory"); /* (no exit: only the VMM's timer can end this) */
    }
}

/* SPDX-License-Identifier: MIT */
/*
 * The Arm PrimeCell PL031 real-time clock (rtc_pl031.c): a 32-bit count of seconds (Linux and
 * EDK2 read it as seconds since 1970-01-01 00:00 UTC), a match register whose interrupt is the
 * alarm, and the PrimeCell ID registers; QEMU's virt board has one at 0x9010000 on SPI 2, where
 * EDK2's ArmVirtQemu and Linux's rtc-pl031 driver look. After the TRM (ARM DDI 0224C, r1p3) and
 * QEMU's hw/rtc/pl031.c; where they differ, rtc_pl031.c says which it follows.
 *
 * The model is pure logic over struct rtc_pl031 on a clock of ticks that its caller passes in
 * (freq ticks a second; the VMM's: keel_cycles()), host-tested (vmm/tests/test_vmm_pl031.c).
 * The count is the ticks' whole seconds plus an offset modulo 2^32, so it wraps as the
 * hardware's counter does. The interrupt line is level: RTCRIS & RTCIMSC. Whether the count has
 * reached RTCMR is worked out from the ticks when the guest accesses the device and when
 * rtc_pl031_poll() is called, which also says when the line can rise next.
 *
 * The VMM (rtc_pl031_from_dt) sets the line at the guest's accesses only: it does not (yet) use
 * the VMM's device timer (vm_timer.h) to call rtc_pl031_poll() when a match comes due, as the
 * SBSA watchdog does (x86's vCPU 0 keeps a clock for the CMOS clock and the 8254:
 * ports_clock_events). So a match raises the line
 * at the guest's next access of the RTC after it happened, not at the second it happened:
 * reading the time, setting it, and an alarm the guest polls for work; an alarm the guest only
 * waits for (Linux's wakealarm while idle) comes late. EDK2 uses no alarm (its wakeup-time
 * services are unsupported); Linux reads RTCRIS/RTCMIS in its interrupt handler only.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct vm; /* (vm.h: only the device needs it, the model does not) */

#define RTC_PL031_SIZE 0x1000u /* its window */

struct rtc_pl031 {
    uint64_t freq;   /* ticks a second (not 0) */
    uint32_t offset; /* the count minus the ticks' whole seconds, modulo 2^32 */
    uint32_t mr;     /* RTCMR */
    uint32_t lr;     /* RTCLR: the last value loaded (reads give it back) */
    bool imsc;       /* RTCIMSC bit 0: the interrupt enabled ("mask set") */
    bool ris;        /* RTCRIS bit 0: the count reached RTCMR (until RTCICR clears it) */
    uint64_t seen;   /* the ticks' second up to which matches have been looked for */
};

/* Powers r on at now (ticks) with count as its count, running at freq ticks a second. */
void rtc_pl031_init(struct rtc_pl031 *r, uint64_t freq, uint32_t count, uint64_t now);
/* A reset at now: the registers as at power on (RTCMR, RTCLR, RTCIMSC, RTCRIS 0); the count
 * runs on, unchanged (the clock is the board's battery-backed one). */
void rtc_pl031_reset(struct rtc_pl031 *r, uint64_t now);
/* The count at now. */
uint32_t rtc_pl031_count(const struct rtc_pl031 *r, uint64_t now);
/* An access of width bytes at offset in the window at now; a read fills *value (zero-extended),
 * a write takes its low 32 bits. False for an access the device refuses (nothing changes): any
 * width but 4, except 1-byte reads of the ID registers (EDK2 reads them with MmioRead8); an
 * offset that is no register or not 4-aligned; a read of the write-only RTCICR; a write to
 * RTCDR, RTCRIS, RTCMIS or an ID register. */
bool rtc_pl031_access(struct rtc_pl031 *r, uint64_t offset, unsigned width, bool write,
                      uint64_t *value, uint64_t now);
/* The interrupt line's level at now (RTCRIS & RTCIMSC, matches up to now included), and in
 * *next the first tick after now at which it can rise: the second the count next reaches
 * RTCMR, UINT64_MAX when the line is high already (only an access lowers it) or the interrupt
 * is disabled. */
bool rtc_pl031_poll(struct rtc_pl031 *r, uint64_t now, uint64_t *next);

/* The model of an "arm,pl031" node (platform.c's table; one per VM): reg its 4 KiB window,
 * interrupts (optional) its line, keel,epoch (optional: seconds since 1970-01-01 00:00 UTC, at
 * most 2^32 - 1; default 2000-01-01) the count when the VMM starts. 0, or -1 after saying why. */
int rtc_pl031_from_dt(struct vm *vm, const void *fdt, int node);

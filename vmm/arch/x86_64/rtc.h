/* SPDX-License-Identifier: MIT */
/*
 * The CMOS real-time clock (Motorola MC146818 as in every PC: ports 0x70 index, 0x71 data; rtc.c).
 * A pure model on a clock of 32768 Hz ticks that its caller passes in (the VMM's: the kernel's
 * timer scaled), host-tested.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define RTC_HZ 32768u

/* A date and time as the registers hold it (the day of the week follows from the date). */
struct rtc_time {
    int64_t year;
    unsigned month, mday, hour, min, sec;
};

struct rtc {
    uint8_t index;        /* the register port 0x70 selected (bit 7, NMI mask, is kept apart) */
    uint8_t nmi_mask;     /* as written: nothing here raises NMIs */
    uint8_t reg[128];     /* what is stored: alarms, A, B, NVRAM; the time registers are computed */
    int64_t offset;       /* the wall clock's seconds minus the ticks' seconds */
    struct rtc_time held; /* with SET (register B bit 7) or the divider stopped: the time held,
                           * field by field (a date is whole only when the clock runs again) */
    uint64_t c_read;      /* the ticks at the last read of register C: its flags count from there */
    uint8_t c_latched;    /* flags raised before a write changed what raises them */
    /* Without SET, the fields as the guest last wrote them, within the second it wrote them:
     * firmware sets year, month and day one after the other, and a date that is invalid in
     * between (31 February) must not roll over before the next field comes. */
    struct rtc_time written;
    uint64_t written_second; /* the ticks' second of that write; UINT64_MAX: none */
};

/* What the firmware finds in the CMOS besides the clock (QEMU's layout): memory below 4 GiB and
 * above, the number of CPUs. */
struct rtc_config {
    int64_t epoch; /* the wall clock at now, in seconds since 1970-01-01 00:00 UTC */
    uint64_t ram_below_4g, ram_above_4g; /* bytes */
    unsigned cpus;
};

void rtc_init(struct rtc *r, const struct rtc_config *c, uint64_t now);
/* A byte access at port 0x70 (offset 0) or 0x71 (offset 1) at now (ticks). */
bool rtc_access(struct rtc *r, unsigned offset, bool write, uint8_t *value, uint64_t now);
/* IRQ 8: whether the interrupt request is asserted now (IRQF: a flag of register C raised since
 * its last read whose interrupt register B enables), and in *next the first time after now that
 * an enabled flag may be raised (UINT64_MAX: none, or the request already asserted: it drops
 * when register C is read). Once a second while alarms are enabled: whether one matches is seen
 * at that update. Keeps what it works out (as a read of C would, without clearing it). */
bool rtc_poll(struct rtc *r, uint64_t now, uint64_t *next);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back (also for the tests). */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d);
void rtc_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

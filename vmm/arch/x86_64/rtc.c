// SPDX-License-Identifier: MIT
/*
 * The CMOS real-time clock (see rtc.h), after the MC146818A data sheet: the time and date
 * registers in BCD or binary (register B's DM) and in 12- or 24-hour form (its 24/12 bit), the
 * alarm registers with their don't-care codes, register A's update-in-progress bit (set in the
 * 244 us before each update, so that a reader that waits for it to clear has that long to read a
 * consistent time), register B's SET (the clock holds while the guest writes the time), register
 * C's flags (periodic, alarm, update-ended; IRQF; cleared by reading), register D's valid-RAM bit,
 * the century at 0x32 (the FADT's CENTURY) and the rest as battery-backed RAM.
 * The clock is the wall clock's seconds as an offset from the ticks: writing a time moves the
 * offset. Register C's flags are worked out when it is read, from the ticks since the last read,
 * and by rtc_poll, which says when the interrupt (IRQ 8, IRQF) is asserted and when it may be
 * next: the VMM raises the line then.
 */
#include "rtc.h"
#include <string.h>

enum {
    SEC = 0x00,
    ALARM_SEC = 0x01,
    MIN = 0x02,
    ALARM_MIN = 0x03,
    HOUR = 0x04,
    ALARM_HOUR = 0x05,
    WDAY = 0x06,
    MDAY = 0x07,
    MONTH = 0x08,
    YEAR = 0x09,
    REG_A = 0x0a,
    REG_B = 0x0b,
    REG_C = 0x0c,
    REG_D = 0x0d,
    CENTURY = 0x32,
};
#define A_UIP 0x80
#define A_DIVIDER_NORMAL 0x20 /* bits 4-6 = 010: the 32.768 kHz time base, running */
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define UIP_TICKS 8 /* 244 us */
#define DAY 86400

int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2; /* years start in March: the leap day is the last */
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void rtc_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static struct rtc_time split(int64_t t)
{
    struct rtc_time f;
    int64_t days = floor_div(t, DAY), s = t - days * DAY;
    rtc_civil_from_days(days, &f.year, &f.month, &f.mday);
    f.hour = (unsigned)(s / 3600);
    f.min = (unsigned)(s / 60 % 60);
    f.sec = (unsigned)(s % 60);
    return f;
}

static int64_t join(const struct rtc_time *f)
{
    return rtc_days_from_civil(f->year, f->month, f->mday) * DAY + f->hour * 3600 + f->min * 60 +
           f->sec;
}

/* Whether the clock holds: under SET, or with its divider not running (reset or another time
 * base than 32.768 kHz). */
static bool holding(const struct rtc *r)
{
    return (r->reg[REG_B] & B_SET) || (r->reg[REG_A] & 0x70) != A_DIVIDER_NORMAL;
}

/* The time the registers show: held, or running. */
static struct rtc_time shown(const struct rtc *r, uint64_t now)
{
    return holding(r) ? r->held : split((int64_t)(now / RTC_HZ) + r->offset);
}

/* 1 (Sunday) to 7 of a date: 1970-01-01 was a Thursday. */
static unsigned weekday(const struct rtc_time *f)
{
    int64_t days = rtc_days_from_civil(f->year, f->month, f->mday);
    return (unsigned)((days % 7 + 11) % 7) + 1;
}

static uint8_t encode(const struct rtc *r, unsigned v)
{
    return (r->reg[REG_B] & B_DM_BINARY) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* The value of a time register's byte; false for a BCD digit above 9. */
static bool decode(const struct rtc *r, uint8_t b, unsigned *v)
{
    if (r->reg[REG_B] & B_DM_BINARY) {
        *v = b;
        return true;
    }
    *v = (b >> 4) * 10 + (b & 15);
    return (b >> 4) <= 9 && (b & 15) <= 9;
}

static uint8_t encode_hour(const struct rtc *r, unsigned h24)
{
    if (r->reg[REG_B] & B_24H) {
        return encode(r, h24);
    }
    unsigned h12 = h24 % 12 ? h24 % 12 : 12;
    return (uint8_t)(encode(r, h12) | (h24 >= 12 ? 0x80 : 0));
}

static bool decode_hour(const struct rtc *r, uint8_t b, unsigned *h24)
{
    if (r->reg[REG_B] & B_24H) {
        return decode(r, b, h24) && *h24 < 24;
    }
    unsigned h12;
    if (!decode(r, b & 0x7f, &h12) || h12 < 1 || h12 > 12) {
        return false;
    }
    *h24 = h12 % 12 + ((b & 0x80) ? 12 : 0);
    return true;
}

static uint8_t time_register(const struct rtc *r, unsigned index, const struct rtc_time *t)
{
    const struct rtc_time f = *t;
    switch (index) {
    case SEC:
        return encode(r, f.sec);
    case MIN:
        return encode(r, f.min);
    case HOUR:
        return encode_hour(r, f.hour);
    case WDAY:
        return encode(r, weekday(&f));
    case MDAY:
        return encode(r, f.mday);
    case MONTH:
        return encode(r, f.month);
    case YEAR:
        return encode(r, (unsigned)(f.year % 100));
    default:
        return encode(r, (unsigned)(f.year / 100 % 100)); /* CENTURY */
    }
}

/* A time register written into *t; false for a value the field cannot hold (the write is
 * dropped). The day of the week follows the date: its register takes no writes. */
static bool set_time_register(const struct rtc *r, unsigned index, uint8_t b, struct rtc_time *t)
{
    struct rtc_time f = *t;
    unsigned v;
    bool ok = index == HOUR ? decode_hour(r, b, &v) : decode(r, b, &v);
    switch (index) {
    case SEC:
        ok = ok && v < 60;
        f.sec = v;
        break;
    case MIN:
        ok = ok && v < 60;
        f.min = v;
        break;
    case HOUR:
        f.hour = v;
        break;
    case WDAY:
        return false;
    case MDAY:
        ok = ok && v >= 1 && v <= 31;
        f.mday = v;
        break;
    case MONTH:
        ok = ok && v >= 1 && v <= 12;
        f.month = v;
        break;
    case YEAR:
        ok = ok && v < 100;
        f.year = f.year / 100 * 100 + v;
        break;
    default:
        ok = ok && v < 100;
        f.year = (int64_t)v * 100 + f.year % 100;
        break; /* CENTURY */
    }
    if (!ok) {
        return false;
    }
    *t = f;
    return true;
}

static bool dont_care(uint8_t alarm)
{
    return (alarm & 0xc0) == 0xc0;
}

static bool alarm_matches(const struct rtc *r, int64_t t)
{
    struct rtc_time f = split(t);
    const uint8_t *a = r->reg;
    return (dont_care(a[ALARM_SEC]) || a[ALARM_SEC] == encode(r, f.sec)) &&
           (dont_care(a[ALARM_MIN]) || a[ALARM_MIN] == encode(r, f.min)) &&
           (dont_care(a[ALARM_HOUR]) || a[ALARM_HOUR] == encode_hour(r, f.hour));
}

static uint64_t periodic_ticks(const struct rtc *r)
{
    unsigned rate = r->reg[REG_A] & 15;
    return rate == 0 ? 0 : rate <= 2 ? 1u << (rate + 6) : 1u << (rate - 1);
}

/* Register C: the flags raised between the last read and now. Updates happen at whole seconds
 * of the ticks (the offset is whole seconds); none while SET holds the clock or the divider is
 * not running; an alarm matches at an update. */
static uint8_t raised_since(const struct rtc *r, uint64_t now)
{
    uint8_t c = 0;
    uint64_t last = r->c_read;
    bool running = (r->reg[REG_A] & 0x70) == A_DIVIDER_NORMAL;
    uint64_t p = periodic_ticks(r);
    if (running && p && now / p > last / p) {
        c |= C_PF;
    }
    if (!holding(r) && now / RTC_HZ > last / RTC_HZ) {
        c |= C_UF;
        /* Each update since the last read, at most a day of them (every alarm matches once a
         * day); the newest first. */
        uint64_t first = last / RTC_HZ + 1, updates = now / RTC_HZ - last / RTC_HZ;
        if (updates > DAY) {
            first = now / RTC_HZ - DAY + 1;
        }
        for (uint64_t s = now / RTC_HZ; s >= first && !(c & C_AF); s--) {
            if (alarm_matches(r, (int64_t)s + r->offset)) {
                c |= C_AF;
            }
        }
    }
    return c;
}

/* The flags raised so far, kept: before a write changes what raises them (the rate, SET, the
 * divider, the alarms, the time), so that they are worked out with the settings they had. */
static void latch_c(struct rtc *r, uint64_t now)
{
    r->c_latched |= raised_since(r, now);
    r->c_read = now;
}

static uint8_t read_c(struct rtc *r, uint64_t now)
{
    uint8_t c = r->c_latched | raised_since(r, now);
    if (c & r->reg[REG_B] & (B_PIE | B_AIE | B_UIE)) {
        c |= C_IRQF;
    }
    r->c_latched = 0;
    r->c_read = now;
    return c;
}

bool rtc_poll(struct rtc *r, uint64_t now, uint64_t *next)
{
    latch_c(r, now);
    uint8_t enabled = r->reg[REG_B] & (B_PIE | B_AIE | B_UIE); /* (C's PF, AF, UF bits) */
    *next = UINT64_MAX;
    if (r->c_latched & enabled) {
        return true;
    }
    uint64_t p = periodic_ticks(r);
    if ((enabled & B_PIE) && p && (r->reg[REG_A] & 0x70) == A_DIVIDER_NORMAL) {
        *next = (now / p + 1) * p;
    }
    uint64_t update = (now / RTC_HZ + 1) * RTC_HZ;
    if ((enabled & (B_UIE | B_AIE)) && !holding(r) && update < *next) {
        *next = update;
    }
    return false;
}

void rtc_init(struct rtc *r, const struct rtc_config *c, uint64_t now)
{
    memset(r, 0, sizeof(*r));
    r->reg[REG_A] = A_DIVIDER_NORMAL | 6; /* 1024 Hz, as PC firmware leaves it */
    r->reg[REG_B] = B_24H;
    r->offset = c->epoch - (int64_t)(now / RTC_HZ);
    r->c_read = now;
    r->written_second = UINT64_MAX;
    /* What PC firmware (and QEMU) put there: base memory 640 KiB; KiB above 1 MiB; 64 KiB blocks
     * above 16 MiB and above 4 GiB; the CPUs less one. The checksum covers 0x10-0x2d. */
    uint64_t ext_kib = c->ram_below_4g > (1u << 20) ? (c->ram_below_4g - (1u << 20)) >> 10 : 0;
    uint64_t above_16m = c->ram_below_4g > (16u << 20) ? (c->ram_below_4g - (16u << 20)) >> 16 : 0;
    uint64_t above_4g = c->ram_above_4g >> 16;
    ext_kib = ext_kib > 0xffff ? 0xffff : ext_kib;
    above_16m = above_16m > 0xffff ? 0xffff : above_16m;
    r->reg[0x15] = 0x80;
    r->reg[0x16] = 0x02;
    r->reg[0x17] = r->reg[0x30] = (uint8_t)ext_kib;
    r->reg[0x18] = r->reg[0x31] = (uint8_t)(ext_kib >> 8);
    r->reg[0x34] = (uint8_t)above_16m;
    r->reg[0x35] = (uint8_t)(above_16m >> 8);
    r->reg[0x5b] = (uint8_t)above_4g;
    r->reg[0x5c] = (uint8_t)(above_4g >> 8);
    r->reg[0x5d] = (uint8_t)(above_4g >> 16);
    r->reg[0x5f] = (uint8_t)(c->cpus ? c->cpus - 1 : 0);
    unsigned sum = 0;
    for (unsigned i = 0x10; i <= 0x2d; i++) {
        sum += r->reg[i];
    }
    r->reg[0x2e] = (uint8_t)(sum >> 8);
    r->reg[0x2f] = (uint8_t)sum;
}

static bool is_time_register(unsigned index)
{
    return index == SEC || index == MIN || index == HOUR || index == WDAY || index == MDAY ||
           index == MONTH || index == YEAR || index == CENTURY;
}

bool rtc_access(struct rtc *r, unsigned offset, bool write, uint8_t *value, uint64_t now)
{
    if (offset == 0) {
        if (write) {
            r->index = *value & 0x7f;
            r->nmi_mask = *value & 0x80;
        } else {
            *value = 0xff; /* the index port is write-only */
        }
        return true;
    }
    if (offset != 1) {
        return false;
    }
    unsigned i = r->index;
    if (!write) {
        if (is_time_register(i)) {
            struct rtc_time t = shown(r, now);
            *value = time_register(r, i, &t);
        } else if (i == REG_A) {
            bool uip = (r->reg[REG_A] & 0x70) == A_DIVIDER_NORMAL && !(r->reg[REG_B] & B_SET) &&
                       now % RTC_HZ >= RTC_HZ - UIP_TICKS;
            *value = (uint8_t)(r->reg[REG_A] | (uip ? A_UIP : 0));
        } else if (i == REG_C) {
            *value = read_c(r, now);
        } else if (i == REG_D) {
            *value = 0x80; /* valid RAM and time: the battery is good */
        } else {
            *value = r->reg[i];
        }
        return true;
    }
    uint8_t b = *value;
    if (is_time_register(i) || i == REG_A || i == REG_B || i == ALARM_SEC || i == ALARM_MIN ||
        i == ALARM_HOUR) {
        latch_c(r, now);
    }
    if (is_time_register(i)) {
        /* A held clock keeps the fields as written; a running one takes the new time at once,
         * from the fields written in this second if there were any (a 31st in a shorter month
         * runs on into the next only if it is still there when the second ends). */
        bool set = holding(r), recent = r->written_second == now / RTC_HZ;
        struct rtc_time t = !set && recent ? r->written : shown(r, now);
        if (set_time_register(r, i, b, &t)) {
            if (set) {
                r->held = t;
            } else {
                r->written = t;
                r->written_second = now / RTC_HZ;
                r->offset = join(&t) - (int64_t)(now / RTC_HZ);
            }
        }
    } else if (i == REG_A || i == REG_B) {
        /* SET, or a divider that does not run, holds the clock at what it showed; when neither
         * holds it any more it runs on from what it holds. SET clears UIE. */
        bool held = holding(r);
        struct rtc_time t = shown(r, now);
        if (i == REG_A) {
            r->reg[REG_A] = b & 0x7f; /* UIP is read-only */
        } else {
            r->reg[REG_B] = (b & B_SET) && !(r->reg[REG_B] & B_SET) ? b & (uint8_t)~B_UIE : b;
        }
        if (!held && holding(r)) {
            r->held = t;
        } else if (held && !holding(r)) {
            r->offset = join(&r->held) - (int64_t)(now / RTC_HZ);
        }
    } else if (i != REG_C && i != REG_D) {
        r->reg[i] = b; /* alarms and battery-backed RAM */
    }
    return true;
}

// SPDX-License-Identifier: MIT
/*
 * The 8254 interval timer (Intel 82C54 data sheet) and system control port B (0x61), as guests
 * use them to measure time: Linux calibrates its TSC against counter 2 (gated by port 0x61 bit
 * 0, its output read back in bit 5) and reads the counters' values. Counters count PIT ticks
 * (1.193182 MHz) of the kernel's clock from the moment their count is written, in modes 0-5
 * (modes 1 and 5 taken as triggered by the write; 2 and 3 periodic; no BCD, no read-back command).
 * Counter 0's output is IRQ 0: pit_irq0 gives its rising edges (a control word of modes 1-5 sets
 * a low OUT high: one too), which the VMM raises on the I/O APIC's line 2 (the MADT's override).
 * Not as the data sheet: a new count in modes 2 and 3 starts at once, not at the end of the
 * period; modes 1 and 5, which on a PC's counter 0 would wait for a gate edge that never comes,
 * start at the count's write like the others. Gates of counters 0 and 1 are always high; counter
 * 2's gate is taken as high once written (a guest that stops it with the gate sees it run on).
 * Pure logic over a time argument, host-tested.
 */
#include "pit.h"
#include <string.h>

void pit_init(struct pit *p)
{
    memset(p, 0, sizeof(*p));
    for (unsigned i = 0; i < 3; i++) {
        p->ch[i].loaded = UINT64_MAX;
        p->ch[i].access = 3;
        p->ch[i].reload = 65536;
    }
}

/* The count now, and whether the output is high. */
static uint16_t count_of(const struct pit_channel *c, uint64_t now, bool *out)
{
    if (c->loaded == UINT64_MAX || now < c->loaded) {
        *out = c->mode != 0; /* mode 0's output is low until terminal count */
        return (uint16_t)c->reload;
    }
    uint64_t t = now - c->loaded;
    unsigned mode = c->mode > 5 ? c->mode - 4 : c->mode;
    if (mode == 2) {
        uint64_t r = c->reload, left = r - t % r;
        *out = left != 1; /* low for the count of 1 */
        return (uint16_t)left;
    }
    if (mode == 3) {
        /* Square wave: the count goes down by 2 through each half of the period (the first
         * half the longer one for an odd count), OUT high in the first half. */
        uint64_t r = c->reload, ph = t % r, half = (r + 1) / 2;
        *out = ph < half;
        return (uint16_t)(ph < half ? r - 2 * ph : r - 2 * (ph - half));
    }
    /* Modes 0, 1, 4, 5 count down once from the write (1 and 5 are gate-triggered: taken as
     * triggered by it); OUT of 0 and 1 goes high at terminal count, of 4 and 5 is high but for
     * the one tick of it. Then the count goes on from 0xffff. */
    bool terminal = t >= c->reload;
    *out = mode <= 1 ? terminal : t != c->reload;
    return (uint16_t)((c->reload - t) & 0xffff);
}

static uint8_t read_byte(struct pit_channel *c, uint64_t now)
{
    bool out;
    uint16_t v = c->latched ? c->latch : count_of(c, now, &out);
    uint8_t b;
    if (c->access == 1) {
        b = (uint8_t)v;
        c->latched = false;
    } else if (c->access == 2) {
        b = (uint8_t)(v >> 8);
        c->latched = false;
    } else {
        b = c->read_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
        if (c->read_msb) {
            c->latched = false;
        }
        c->read_msb = !c->read_msb;
    }
    return b;
}

static void write_byte(struct pit_channel *c, uint8_t b, uint64_t now)
{
    uint32_t v;
    if (c->access == 1) {
        v = b;
    } else if (c->access == 2) {
        v = (uint32_t)b << 8;
    } else if (!c->write_msb) {
        c->lsb = b;
        c->write_msb = true;
        return;
    } else {
        v = c->lsb | (uint32_t)b << 8;
        c->write_msb = false;
    }
    c->reload = v ? v : 65536;
    c->loaded = now;
}

bool pit_access(struct pit *p, unsigned offset, bool write, uint8_t *value, uint64_t now)
{
    if (offset < 3) {
        if (write) {
            write_byte(&p->ch[offset], *value, now);
        } else {
            *value = read_byte(&p->ch[offset], now);
        }
        return true;
    }
    if (offset != 3) {
        return false;
    }
    if (!write) {
        *value = 0xff; /* the control word register cannot be read */
        return true;
    }
    unsigned sel = *value >> 6, access = (*value >> 4) & 3;
    if (sel == 3) {
        return true; /* read-back command: not modelled (8254 only; Linux does not use it) */
    }
    struct pit_channel *c = &p->ch[sel];
    if (access == 0) {
        bool out;
        if (!c->latched) { /* counter latch: the value now, until read */
            c->latch = count_of(c, now, &out);
            c->latched = true;
            c->read_msb = false;
        }
        return true;
    }
    bool out;
    count_of(c, now, &out);
    unsigned mode = (*value >> 1) & 7;
    if (sel == 0 && c->set && !out && mode != 0) {
        p->irq0_rose = true; /* modes 1-5 set OUT high at the control word: an edge */
    }
    c->access = (uint8_t)access;
    c->mode = (uint8_t)mode;
    c->set = true;
    c->write_msb = c->read_msb = c->latched = false;
    c->loaded = UINT64_MAX; /* a new mode waits for its count */
    return true;
}

/* The first rising edge of the counter's output after time after: at each period's end in modes 2
 * and 3 (mode 2's one low tick ends, mode 3's second half ends), at terminal count in modes 0
 * and 1, after the strobe's low tick in modes 4 and 5. */
static uint64_t next_rise(const struct pit_channel *c, uint64_t after)
{
    if (c->loaded == UINT64_MAX) {
        return UINT64_MAX;
    }
    uint64_t l = c->loaded, r = c->reload;
    unsigned mode = c->mode > 5 ? c->mode - 4 : c->mode;
    if (mode == 2 || mode == 3) {
        return after < l + r ? l + r : l + ((after - l) / r + 1) * r;
    }
    uint64_t rise = l + r + (mode >= 4 ? 1 : 0);
    return rise > after ? rise : UINT64_MAX;
}

bool pit_irq0(struct pit *p, uint64_t now, uint64_t *next)
{
    bool rose = p->irq0_rose || next_rise(&p->ch[0], p->irq0_seen) <= now;
    p->irq0_rose = false;
    if (now > p->irq0_seen) {
        p->irq0_seen = now;
    }
    *next = next_rise(&p->ch[0], p->irq0_seen);
    return rose;
}

bool pit_port61_access(struct pit *p, bool write, uint8_t *value, uint64_t now)
{
    if (write) {
        p->port61 = *value & 3;
        return true;
    }
    bool out;
    count_of(&p->ch[2], now, &out);
    p->refresh ^= 0x10;
    *value = (uint8_t)(p->port61 | p->refresh | (out ? 0x20 : 0));
    return true;
}

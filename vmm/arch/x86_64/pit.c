// SPDX-License-Identifier: MIT
/*
 * The 8254 interval timer (Intel 82C54 data sheet) and system control port B (0x61), as guests
 * use them to measure time: Linux calibrates its TSC against counter 2 (gated by port 0x61 bit
 * 0, its output read back in bit 5) and reads the counters' values. Counters count PIT ticks
 * (1.193182 MHz) of the kernel's clock from the moment their count is written, in modes 0-5
 * (modes 1 and 5 taken as triggered by the write; 2 and 3 periodic; no BCD, no read-back command). Counter 0
 * raises no interrupt: the VM has no 8259s, and its guests' timers are the local APICs'
 * (documented in docs/x86_64.md). Gates of counters 0 and 1 are always high; counter 2's gate
 * is taken as high once written (a guest that stops it with the gate sees it run on).
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
    c->access = (uint8_t)access;
    c->mode = (*value >> 1) & 7;
    c->write_msb = c->read_msb = c->latched = false;
    c->loaded = UINT64_MAX; /* a new mode waits for its count */
    return true;
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

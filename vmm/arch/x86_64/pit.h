/* SPDX-License-Identifier: MIT */
/* The 8254 programmable interval timer and port 0x61 (pit.c). */
#pragma once
#include <stdint.h>
#include <stdbool.h>

#define PIT_HZ 1193182u

/* One counter: what software programmed and when the count was loaded (pit.c). */
struct pit_channel {
    uint8_t mode;   /* 0-5 (6 and 7 are 2 and 3) */
    bool set;       /* a control word has come (before: OUT unknown, no edge from the first) */
    uint8_t access; /* 1 LSB, 2 MSB, 3 LSB then MSB */
    bool write_msb; /* the next write of an LSB/MSB pair is the MSB */
    bool read_msb;  /* the next read of a pair is the MSB */
    bool latched;   /* a latched count waits to be read */
    uint16_t latch;
    uint8_t lsb;     /* the LSB written, until the MSB comes */
    uint32_t reload; /* 1 .. 65536 (a written 0 is 65536) */
    uint64_t loaded; /* the time (in PIT ticks) the count was loaded; UINT64_MAX: never */
};

struct pit {
    struct pit_channel ch[3];
    uint8_t port61;  /* gate 2 (bit 0) and speaker data (bit 1), as written */
    uint8_t refresh; /* toggles on each read (bit 4) */
    uint64_t irq0_seen; /* counter 0's output edges up to this time are raised (pit_irq0) */
    bool irq0_rose;     /* ... and one from a control word, not yet */
};

/* Accesses to ports 0x40-0x43 (offset 0-3) and 0x61 (port61), at now (PIT ticks). */
void pit_init(struct pit *p);
bool pit_access(struct pit *p, unsigned offset, bool write, uint8_t *value, uint64_t now);
bool pit_port61_access(struct pit *p, bool write, uint8_t *value, uint64_t now);
/* IRQ 0, counter 0's output: whether it rose since the last call (edges missed in between are one
 * interrupt, as an edge-triggered input takes them), and in *next when it rises next (UINT64_MAX:
 * not in the counter's present mode and count). */
bool pit_irq0(struct pit *p, uint64_t now, uint64_t *next);

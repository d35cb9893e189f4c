/* SPDX-License-Identifier: MIT */
/* The 8254 programmable interval timer and port 0x61 (pit.c). */
#pragma once
#include <stdint.h>
#include <stdbool.h>

#define PIT_HZ 1193182u

/* One counter: what software programmed and when the count was loaded (pit.c). */
struct pit_channel {
    uint8_t mode;   /* 0-5 (6 and 7 are 2 and 3) */
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
};

/* Accesses to ports 0x40-0x43 (offset 0-3) and 0x61 (port61), at now (PIT ticks). */
void pit_init(struct pit *p);
bool pit_access(struct pit *p, unsigned offset, bool write, uint8_t *value, uint64_t now);
bool pit_port61_access(struct pit *p, bool write, uint8_t *value, uint64_t now);

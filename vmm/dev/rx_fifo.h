/* SPDX-License-Identifier: MIT */
/* A UART model's receive FIFO: what Keel's console input gave (console_input.c), in order, until
 * the guest reads it. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define RX_FIFO_MAX 32

struct rx_fifo {
    char buf[RX_FIFO_MAX];
    unsigned head, count, size; /* size: the model's FIFO depth, at most RX_FIFO_MAX */
};

/* Takes what fits of buf[0..n); returns how much. */
static inline size_t rx_fifo_push(struct rx_fifo *f, const char *buf, size_t n)
{
    size_t taken = 0;
    while (taken < n && f->count < f->size) {
        f->buf[(f->head + f->count++) % f->size] = buf[taken++];
    }
    return taken;
}

/* The oldest character (0 when empty: what a UART's data register reads then). */
static inline uint8_t rx_fifo_pop(struct rx_fifo *f)
{
    if (!f->count) {
        return 0;
    }
    uint8_t c = (uint8_t)f->buf[f->head];
    f->head = (f->head + 1) % f->size;
    f->count--;
    return c;
}

// SPDX-License-Identifier: MIT
/*
 * An emulated Arm PL011 UART. Transmit: bytes the guest writes go to the VMM's console a line at
 * a time, prefixed with the VM's name; the transmitter is never busy, and each write raises the
 * transmit interrupt (the FIFO is at once empty again). Receive: a 32-byte FIFO that the VMM's
 * console input fills. The interrupt line is level: (raw status & mask) != 0.
 *
 *   pl011@9000000 { compatible = "arm,pl011", "arm,primecell"; reg = <0x0 0x9000000 0x0 0x1000>;
 *                   interrupts = <0 1 4>; clocks = <&clk>, <&clk>; clock-names = "uartclk", "apb_pclk"; };
 */
#include "guest_line.h"
#include "rx_fifo.h"
#include "uart_pl011.h"
#include <keel/rt.h>
#include <string.h>

enum {
    UARTDR = 0x00, UARTRSR = 0x04, UARTFR = 0x18, UARTIBRD = 0x24, UARTFBRD = 0x28,
    UARTLCR_H = 0x2c, UARTCR = 0x30, UARTIFLS = 0x34, UARTIMSC = 0x38, UARTRIS = 0x3c,
    UARTMIS = 0x40, UARTICR = 0x44, UARTDMACR = 0x48, UARTPERIPHID0 = 0xfe0,
};
#define FR_TXFE (1u << 7)
#define FR_RXFF (1u << 6)
#define FR_RXFE (1u << 4)
#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)
#define RX_FIFO 32
_Static_assert(RX_FIFO <= RX_FIFO_MAX, "rx_fifo.h");

struct pl011 {
    struct vm *vm;
    unsigned irq;
    struct guest_line line;
    uint32_t regs[UARTDMACR / 4 + 1]; /* the plain read/write registers */
    uint32_t ris;
    bool irq_level; /* the level its interrupt line has (told only when it changes) */
    struct rx_fifo rx;
};

static struct pl011 uarts[2];
static unsigned uart_count;

static void update_irq(struct pl011 *u)
{
    bool level = (u->ris & u->regs[UARTIMSC / 4]) != 0;
    if (u->irq && level != u->irq_level) {
        u->irq_level = level;
        vm_irq_set(u->vm, u->irq, level);
    }
}

static void transmit(struct pl011 *u, char c)
{
    guest_line_put(u->vm, &u->line, c);
    u->ris |= INT_TX;
}

static uint32_t receive(struct pl011 *u)
{
    uint32_t c = rx_fifo_pop(&u->rx);
    if (!u->rx.count) {
        u->ris &= ~(INT_RX | INT_RT);
    }
    return c;
}

static bool pl011_access(struct mmio_device *d, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    struct pl011 *u = d->state;
    if (width != 4 && !(width == 1 && off == UARTDR) && !(width == 2 && off < UARTPERIPHID0)) {
        return false;
    }
    uint32_t val = (uint32_t)*v;
    uint64_t r = 0;
    switch (off) {
    case UARTDR:
        if (write) {
            transmit(u, (char)val);
        } else {
            r = receive(u);
        }
        break;
    case UARTFR:
        r = FR_TXFE | (u->rx.count ? 0 : FR_RXFE) | (u->rx.count == RX_FIFO ? FR_RXFF : 0);
        break;
    case UARTRIS:
        r = u->ris;
        break;
    case UARTMIS:
        r = u->ris & u->regs[UARTIMSC / 4];
        break;
    case UARTICR:
        if (write) {
            u->ris &= ~val | (u->rx.count ? INT_RX | INT_RT : 0); /* data still waiting stays */
        }
        break;
    case UARTRSR: case 0x20 /* ILPR */: case UARTIBRD: case UARTFBRD: case UARTLCR_H: case UARTCR: case UARTIFLS:
    case UARTIMSC: case UARTDMACR:
        if (write) {
            u->regs[off / 4] = val & (off == UARTRSR ? 0 : 0xffff);
        } else {
            r = u->regs[off / 4];
        }
        break;
    default:
        if (!write && off >= UARTPERIPHID0 && off < 0x1000) {
            static const uint8_t id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
            r = id[(off - UARTPERIPHID0) / 4 % 8];
        } else if (write) {
            return false; /* no such register */
        }
        break;
    }
    if (!write) {
        *v = r;
    }
    update_irq(u);
    return true;
}

/* A reset of the VM: the registers as after reset (TXE, RXE), no interrupt; what was typed and
 * not read yet stays in the receive FIFO, a partial output line in its buffer. */
static void pl011_reset(struct mmio_device *d)
{
    struct pl011 *u = d->state;
    memset(u->regs, 0, sizeof(u->regs));
    u->regs[UARTCR / 4] = 0x300;
    u->ris = 0;
    update_irq(u);
}

int uart_pl011_create(struct mmio_device *d, struct vm *vm, unsigned irq)
{
    if (uart_count == sizeof(uarts) / sizeof(uarts[0])) {
        return -1;
    }
    struct pl011 *u = &uarts[uart_count++];
    memset(u, 0, sizeof(*u));
    u->vm = vm;
    u->irq = irq;
    u->regs[UARTCR / 4] = 0x300; /* TXE, RXE: as after reset */
    u->rx.size = RX_FIFO;
    if (!vm->console_input) {
        vm->console_input = uart_pl011_input;
        vm->console_lock = d->lock;
    }
    d->state = u;
    d->access = pl011_access;
    d->reset = pl011_reset;
    return 0;
}

size_t uart_pl011_input(struct vm *vm, const char *buf, size_t n)
{
    (void)vm;
    if (!uart_count) {
        return 0;
    }
    struct pl011 *u = &uarts[0];
    size_t taken = rx_fifo_push(&u->rx, buf, n);
    if (taken) {
        u->ris |= INT_RX | INT_RT;
        update_irq(u);
    }
    return taken;
}

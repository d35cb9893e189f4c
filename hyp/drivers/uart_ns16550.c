// SPDX-License-Identifier: MIT
// NS16550A UART with byte-wide registers (QEMU riscv64 virt, x86 COM1 through the same offsets).
#include <keel/console.h>
#include <keel/mmio.h>

enum {
    NS16550_RBR = 0, /* receive buffer (read) / transmit holding (write) */
    NS16550_IER = 1,
    NS16550_FCR = 2, /* (write; IIR when read) */
    NS16550_FCR_FIFO_ON = 0x01,
    NS16550_IIR_FIFOS = 0xc0, /* the FIFOs are on: a 16550A's, not a 16450's or a broken one */
    NS16550_LSR = 5,
    NS16550_LSR_TEMT = 1u << 6,
    NS16550_LSR_DR = 1u << 0,
    NS16550_LSR_THRE = 1u << 5,
};

static unsigned fifo = 1; /* characters THRE makes room for */

static void ns16550_init(uintptr_t base)
{
    mmio_write8(base + NS16550_IER, 0); /* polled until an Irq object takes over */
    for (unsigned i = 0; i < 1000000 && !(mmio_read8(base + NS16550_LSR) & NS16550_LSR_TEMT);
         i++) { /* what firmware said last goes out before the FIFOs change */
    }
    mmio_write8(base + NS16550_FCR, NS16550_FCR_FIFO_ON);
    fifo = (mmio_read8(base + NS16550_FCR) & NS16550_IIR_FIFOS) == NS16550_IIR_FIFOS ? 16 : 1;
}

/* THRE: the transmit FIFO (or holding register) is empty. */
static unsigned ns16550_tx_room(uintptr_t base)
{
    return mmio_read8(base + NS16550_LSR) & NS16550_LSR_THRE ? fifo : 0;
}

static bool ns16550_tx_idle(uintptr_t base)
{
    return mmio_read8(base + NS16550_LSR) & NS16550_LSR_TEMT;
}

static void ns16550_tx(uintptr_t base, char c)
{
    mmio_write8(base + NS16550_RBR, (uint8_t)c);
}

static int ns16550_getc(uintptr_t base)
{
    if (!(mmio_read8(base + NS16550_LSR) & NS16550_LSR_DR)) {
        return -1;
    }
    return mmio_read8(base + NS16550_RBR);
}

const struct console_driver uart_ns16550_driver = {
    .compatible = "ns16550a",
    .init = ns16550_init,
    .tx_room = ns16550_tx_room,
    .tx = ns16550_tx,
    .tx_idle = ns16550_tx_idle,
    .getc = ns16550_getc,
};

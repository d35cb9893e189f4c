// SPDX-License-Identifier: MIT
// NS16550A UART behind I/O ports (x86 COM1 at 0x3f8): the same registers as uart_ns16550.c, reached
// with in/out instead of loads and stores. Listed by the x86_64 arch.cmake, which names COM1.
#include <keel/console.h>
#include <arch/pio.h>

enum {
    NS16550_RBR = 0, /* receive buffer (read) / transmit holding (write); DLL with LCR.DLAB */
    NS16550_IER = 1, /* DLM with LCR.DLAB */
    NS16550_FCR = 2,
    NS16550_LCR = 3,
    NS16550_MCR = 4,
    NS16550_LSR = 5,
    NS16550_LCR_DLAB = 0x80,
    NS16550_LCR_8N1 = 0x03,
    NS16550_FCR_FIFO_ON = 0x01,
    NS16550_IIR_FIFOS = 0xc0, /* (IIR, read at FCR's offset) the FIFOs are on: a 16550A's */
    NS16550_LSR_TEMT = 1u << 6,
    NS16550_MCR_DTR_RTS_OUT2 = 0x0b, /* OUT2: a PC's gate of the UART's interrupt line */
    NS16550_LSR_DR = 1u << 0,
    NS16550_LSR_THRE = 1u << 5,
};

/* 115200 baud (divisor 1), 8N1, FIFOs: what was left there is not relied on (a BIOS that set
 * nothing leaves 5-bit characters: Bochs' model then drops the high bits). */
static unsigned fifo = 1; /* characters THRE makes room for */

static void ns16550_pio_init(uintptr_t port)
{
    uint16_t p = (uint16_t)port;
    for (unsigned i = 0; i < 1000000 && !(inb((uint16_t)(p + NS16550_LSR)) & NS16550_LSR_TEMT);
         i++) { /* what firmware said last goes out before the line changes */
    }
    outb((uint16_t)(p + NS16550_IER), 0); /* polled until an Irq object takes over */
    outb((uint16_t)(p + NS16550_LCR), NS16550_LCR_DLAB);
    outb((uint16_t)(p + NS16550_RBR), 1);
    outb((uint16_t)(p + NS16550_IER), 0);
    outb((uint16_t)(p + NS16550_LCR), NS16550_LCR_8N1);
    outb((uint16_t)(p + NS16550_FCR), NS16550_FCR_FIFO_ON);
    fifo = (inb((uint16_t)(p + NS16550_FCR)) & NS16550_IIR_FIFOS) == NS16550_IIR_FIFOS ? 16 : 1;
    outb((uint16_t)(p + NS16550_MCR), NS16550_MCR_DTR_RTS_OUT2);
}

/* THRE: the transmit FIFO (or holding register) is empty. */
static unsigned ns16550_pio_tx_room(uintptr_t port)
{
    return inb((uint16_t)(port + NS16550_LSR)) & NS16550_LSR_THRE ? fifo : 0;
}

static bool ns16550_pio_tx_idle(uintptr_t port)
{
    return inb((uint16_t)(port + NS16550_LSR)) & NS16550_LSR_TEMT;
}

static void ns16550_pio_tx(uintptr_t port, char c)
{
    outb((uint16_t)(port + NS16550_RBR), (uint8_t)c);
}

static int ns16550_pio_getc(uintptr_t port)
{
    if (!(inb((uint16_t)(port + NS16550_LSR)) & NS16550_LSR_DR)) {
        return -1;
    }
    return inb((uint16_t)(port + NS16550_RBR));
}

const struct console_driver uart_ns16550_pio_driver = {
    .compatible = "keel,ns16550-pio", /* never matched in a device tree: chosen by the arch */
    .init = ns16550_pio_init,
    .tx_room = ns16550_pio_tx_room,
    .tx = ns16550_pio_tx,
    .tx_idle = ns16550_pio_tx_idle,
    .getc = ns16550_pio_getc,
};

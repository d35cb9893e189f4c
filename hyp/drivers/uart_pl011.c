// SPDX-License-Identifier: MIT
// Arm PL011 UART: polled transmit and receive; the firmware (or QEMU) has set the baud rate.
#include <keel/console.h>
#include <keel/mmio.h>

enum {
    PL011_DR = 0x00,
    PL011_FR = 0x18,
    PL011_FR_RXFE = 1u << 4,
    PL011_FR_TXFF = 1u << 5,
};

static void pl011_init(uintptr_t base)
{
    (void)base;
}

static void pl011_putc(uintptr_t base, char c)
{
    while (mmio_read32(base + PL011_FR) & PL011_FR_TXFF) {
    }
    mmio_write32(base + PL011_DR, (uint8_t)c);
}

static int pl011_getc(uintptr_t base)
{
    if (mmio_read32(base + PL011_FR) & PL011_FR_RXFE) {
        return -1;
    }
    return (int)(mmio_read32(base + PL011_DR) & 0xff);
}

const struct console_driver uart_pl011_driver = {
    .compatible = "arm,pl011",
    .init = pl011_init,
    .putc = pl011_putc,
    .getc = pl011_getc,
};

// SPDX-License-Identifier: MIT
// Arm PL011 UART: polled transmit and receive; the firmware (or QEMU) has set the baud rate.
#include <keel/console.h>
#include <keel/mmio.h>

enum {
    PL011_DR = 0x00,
    PL011_FR = 0x18,
    PL011_FR_BUSY = 1u << 3,
    PL011_FR_RXFE = 1u << 4,
    PL011_FR_TXFF = 1u << 5,
};

static void pl011_init(uintptr_t base)
{
    (void)base;
}

static unsigned pl011_tx_room(uintptr_t base)
{
    return !(mmio_read32(base + PL011_FR) & PL011_FR_TXFF); /* (asked again after each) */
}

static void pl011_tx(uintptr_t base, char c)
{
    mmio_write32(base + PL011_DR, (uint8_t)c);
}

static bool pl011_tx_idle(uintptr_t base)
{
    return !(mmio_read32(base + PL011_FR) & PL011_FR_BUSY);
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
    .tx_room = pl011_tx_room,
    .tx = pl011_tx,
    .tx_idle = pl011_tx_idle,
    .getc = pl011_getc,
};

// SPDX-License-Identifier: MIT
// NS16550A UART with byte-wide registers (QEMU riscv64 virt, x86 COM1 through the same offsets).
#include <keel/console.h>
#include <keel/mmio.h>

enum {
    NS16550_RBR = 0, /* receive buffer (read) / transmit holding (write) */
    NS16550_IER = 1,
    NS16550_LSR = 5,
    NS16550_LSR_DR = 1u << 0,
    NS16550_LSR_THRE = 1u << 5,
};

static void ns16550_init(uintptr_t base)
{
    mmio_write8(base + NS16550_IER, 0); /* polled until an Irq object takes over */
}

static void ns16550_putc(uintptr_t base, char c)
{
    while (!(mmio_read8(base + NS16550_LSR) & NS16550_LSR_THRE)) {
    }
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
    .putc = ns16550_putc,
    .getc = ns16550_getc,
};

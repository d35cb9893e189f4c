// SPDX-License-Identifier: MIT
/*
 * An emulated Arm PL011 UART, transmit side: bytes the guest writes to the data register go to
 * the VMM's console, a line at a time, prefixed with the VM's name. The flag register says the
 * transmitter is never busy and the receiver empty.
 *
 *   pl011@9000000 { compatible = "arm,pl011", "arm,primecell"; reg = <0x0 0x9000000 0x0 0x1000>; };
 */
#include "uart_pl011.h"
#include <keel/rt.h>
#include <string.h>

enum { UARTDR = 0x00, UARTFR = 0x18, UARTCR = 0x30, UARTIMSC = 0x38, UARTPERIPHID0 = 0xfe0 };
#define FR_TXFE (1u << 7)
#define FR_RXFE (1u << 4)

struct pl011 {
    const char *vm_name;
    char line[128];
    unsigned used;
    uint32_t cr, imsc;
};

static struct pl011 uarts[2];
static unsigned uart_count;

static void flush(struct pl011 *u)
{
    u->line[u->used] = '\0';
    printf("%s| %s\n", u->vm_name, u->line);
    u->used = 0;
}

static bool pl011_access(struct mmio_device *d, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    struct pl011 *u = d->state;
    if (width != 4 && !(width == 1 && off == UARTDR)) {
        return false;
    }
    switch (off) {
    case UARTDR:
        if (write) {
            char c = (char)*v;
            if (c == '\n' || u->used == sizeof(u->line) - 1) {
                flush(u);
            } else if (c != '\r') {
                u->line[u->used++] = c;
            }
        } else {
            *v = 0; /* nothing received */
        }
        return true;
    case UARTFR:
        if (!write) {
            *v = FR_TXFE | FR_RXFE;
        }
        return true;
    case UARTCR:
    case UARTIMSC:
        if (write) {
            *(off == UARTCR ? &u->cr : &u->imsc) = (uint32_t)*v;
        } else {
            *v = off == UARTCR ? u->cr : u->imsc;
        }
        return true;
    default:
        if (!write && off >= UARTPERIPHID0) {
            static const uint8_t id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
            *v = id[(off - UARTPERIPHID0) / 4 % 8];
            return true;
        }
        if (!write) {
            *v = 0;
        }
        return true; /* other registers: accepted, no effect */
    }
}

int uart_pl011_create(struct mmio_device *d, const char *vm_name)
{
    if (uart_count == sizeof(uarts) / sizeof(uarts[0])) {
        return -1;
    }
    struct pl011 *u = &uarts[uart_count++];
    memset(u, 0, sizeof(*u));
    u->vm_name = vm_name;
    d->state = u;
    d->access = pl011_access;
    return 0;
}

// SPDX-License-Identifier: MIT
/*
 * An emulated NS16550A UART (what QEMU's virt boards and most RISC-V systems have). Transmit:
 * bytes the guest writes go to the VMM's console a line at a time; the transmitter is never busy,
 * so THR is empty again at once and its interrupt (when enabled) pending until the guest reads
 * IIR or writes again. Receive: a 16-byte FIFO that the VMM's console input fills. The
 * interrupt line is level: high while IIR reports an interrupt. Baud rate, line control, modem
 * control and scratch registers hold what the guest writes and do nothing.
 *
 *   serial@10000000 { compatible = "ns16550a"; reg = <0x0 0x10000000 0x0 0x100>;
 *                     interrupts = <10>; interrupt-parent = <&plic>; clock-frequency = <3686400>; };
 *
 * reg-shift (default 0) spaces the registers; any access of 1 to 4 bytes uses its low byte.
 */
#include "rx_fifo.h"
#include "uart_ns16550.h"
#include "guest_line.h"
#include <string.h>

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define IER_RDI 0x01   /* received data available */
#define IER_THRI 0x02  /* transmitter holding register empty */
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define FCR_FIFO 0x01
#define LCR_DLAB 0x80
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_DCD_DSR_CTS 0xb0
#define RX_FIFO 16 /* a 16550A's */
_Static_assert(RX_FIFO <= RX_FIFO_MAX, "rx_fifo.h");

struct ns16550 {
    struct vm *vm;
    unsigned irq, shift;
    struct guest_line line;
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    bool thr_pending; /* THR empty interrupt, until IIR reports it or THR is written */
    bool irq_level;   /* the level its interrupt line has (told only when it changes) */
    struct rx_fifo rx;
};

static struct ns16550 uarts[2];
static unsigned uart_count;

static uint8_t iir(const struct ns16550 *u)
{
    uint8_t fifo = (u->fcr & FCR_FIFO) ? IIR_FIFO : 0;
    if ((u->ier & IER_RDI) && u->rx.count) {
        return fifo | IIR_RDI;
    }
    if ((u->ier & IER_THRI) && u->thr_pending) {
        return fifo | IIR_THRI;
    }
    return fifo | IIR_NONE;
}

static void update_irq(struct ns16550 *u)
{
    bool level = !(iir(u) & IIR_NONE);
    if (u->irq && level != u->irq_level) {
        u->irq_level = level;
        vm_irq_set(u->vm, u->irq, level);
    }
}

static uint8_t read_reg(struct ns16550 *u, unsigned reg)
{
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t r;
    switch (reg) {
    case RBR_THR:
        return dlab ? u->dll : rx_fifo_pop(&u->rx);
    case IER:
        return dlab ? u->dlm : u->ier;
    case IIR_FCR:
        r = iir(u);
        if ((r & ~IIR_FIFO) == IIR_THRI) {
            u->thr_pending = false; /* reading IIR acknowledges the THR empty interrupt */
        }
        return r;
    case LCR:
        return u->lcr;
    case MCR:
        return u->mcr;
    case LSR:
        return LSR_THRE | LSR_TEMT | (u->rx.count ? LSR_DR : 0);
    case MSR:
        return MSR_DCD_DSR_CTS;
    default:
        return u->scr;
    }
}

static void write_reg(struct ns16550 *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case RBR_THR:
        if (dlab) {
            u->dll = v;
        } else {
            guest_line_put(u->vm, &u->line, (char)v);
            u->thr_pending = true; /* sent at once: empty again */
        }
        break;
    case IER:
        if (dlab) {
            u->dlm = v;
        } else {
            if ((v & IER_THRI) && !(u->ier & IER_THRI)) {
                u->thr_pending = true; /* enabling it with THR empty raises it */
            }
            u->ier = v & 0x0f;
        }
        break;
    case IIR_FCR:
        u->fcr = v & (FCR_FIFO | 0xc0);
        if (v & 0x02) {
            u->rx.count = 0; /* receive FIFO reset */
        }
        break;
    case LCR:
        u->lcr = v;
        break;
    case MCR:
        u->mcr = v & 0x1f;
        break;
    case SCR:
        u->scr = v;
        break;
    default:
        break; /* LSR, MSR: read-only */
    }
}

static bool ns16550_access(struct mmio_device *d, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    struct ns16550 *u = d->state;
    if (width > 4 || (off & ((1u << u->shift) - 1)) || (off >> u->shift) > SCR) {
        return false;
    }
    unsigned reg = (unsigned)(off >> u->shift);
    if (write) {
        write_reg(u, reg, (uint8_t)*v);
    } else {
        *v = read_reg(u, reg);
    }
    update_irq(u);
    return true;
}

/* A reset of the VM: every register 0 (no interrupt enabled, DLAB off, FIFOs off), the line
 * low; what was typed and not read yet stays in the receive FIFO. */
static void ns16550_reset(struct mmio_device *d)
{
    struct ns16550 *u = d->state;
    u->ier = u->lcr = u->mcr = u->scr = u->dll = u->dlm = u->fcr = 0;
    u->thr_pending = false;
    update_irq(u);
}

int uart_ns16550_create(struct mmio_device *d, struct vm *vm, unsigned irq, unsigned reg_shift)
{
    if (uart_count == sizeof(uarts) / sizeof(uarts[0]) || reg_shift > 2) {
        return -1;
    }
    struct ns16550 *u = &uarts[uart_count++];
    memset(u, 0, sizeof(*u));
    u->vm = vm;
    u->irq = irq;
    u->shift = reg_shift;
    u->rx.size = RX_FIFO;
    if (!vm->console_input) {
        vm->console_input = uart_ns16550_input;
        vm->console_lock = d->lock;
    }
    d->state = u;
    d->access = ns16550_access;
    d->reset = ns16550_reset;
    return 0;
}

size_t uart_ns16550_input(struct vm *vm, const char *buf, size_t n)
{
    (void)vm;
    if (!uart_count) {
        return 0;
    }
    struct ns16550 *u = &uarts[0];
    size_t taken = rx_fifo_push(&u->rx, buf, n);
    if (taken) {
        update_irq(u);
    }
    return taken;
}

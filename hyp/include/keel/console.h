/* SPDX-License-Identifier: MIT */
/*
 * The kernel console: one UART the kernel owns, chosen from the boot device tree (/chosen
 * stdout-path, else the first UART with a known compatible), or named by the architecture where
 * there is no device tree (x86_64: COM1). Drivers live in hyp/drivers/.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct console_driver {
    const char *compatible;
    void (*init)(uintptr_t base);
    /* How many characters the UART takes now without waiting (0: none), and one of them. */
    unsigned (*tx_room)(uintptr_t base);
    void (*tx)(uintptr_t base, char c);
    bool (*tx_idle)(uintptr_t base); /* all sent, the shift register too */
    int (*getc)(uintptr_t base); /* -1 when no character is waiting */
};

/* Finds and initialises the console; returns false when the tree names no usable UART. */
bool console_init(const void *fdt);
/* Uses drv at base (an MMIO address or an I/O port, as the driver reads it) as the console. */
void console_use(const struct console_driver *drv, uintptr_t base);
/*
 * Output goes through a buffer (8 KiB) that is sent as the UART takes it, never waiting for it
 * with the kernel held: after each write, and from the idle loop (console_poll) while some is
 * left. A real UART at 115200 baud sends 11.5 KB/s: waiting for it in a system call would let a
 * task that writes keep the kernel (and its lock) for seconds.
 */
/* The kernel's own output (printk): never dropped; when the buffer is full it waits for room. */
void console_putc(char c);
/* A task's write (Vcon): all n bytes or, when they do not fit (1 KiB stays for the kernel's
 * messages), none: false. */
bool console_write(const char *bytes, uint64_t n);
/* Sends what the UART takes (the timer tick and the idle loop); true while some is left. */
bool console_poll(void);
/* Whether some output waits for the UART (a hint, read without the lock: the scheduler then
 * has the timer come back within a millisecond). */
bool console_pending(void);
/* Sends everything, waiting for the UART (a panic, a power-off: what is said must get out). */
void console_flush(void);
int console_getc(void);

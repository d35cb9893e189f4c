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
    void (*putc)(uintptr_t base, char c);
    int (*getc)(uintptr_t base); /* -1 when no character is waiting */
};

/* Finds and initialises the console; returns false when the tree names no usable UART. */
bool console_init(const void *fdt);
/* Uses drv at base (an MMIO address or an I/O port, as the driver reads it) as the console. */
void console_use(const struct console_driver *drv, uintptr_t base);
void console_putc(char c);
int console_getc(void);

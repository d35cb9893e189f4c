// SPDX-License-Identifier: MIT
// Kernel console output over the chosen UART.
#include <keel/printk.h>
#include <keel/console.h>
#include <keel/arch/cpu.h>
#include <format.h>

static void console_sink(void *ctx, char c)
{
    (void)ctx;
    console_putc(c);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(console_sink, NULL, fmt, ap);
    va_end(ap);
}

noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printk("KEEL PANIC: ");
    format(console_sink, NULL, fmt, ap);
    va_end(ap);
    printk("\n");
    console_flush();
    arch_cpu_halt();
}

// SPDX-License-Identifier: MIT
/* Kernel console output of the fake architecture (host unit tests): standard error. A test that
 * wants to see what the kernel prints defines its own printk() instead of linking this file. */
#include <keel/printk.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "KEEL PANIC: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

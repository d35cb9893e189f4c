// SPDX-License-Identifier: MIT
/* vmm/dev/uart_ns16550.c: the UARTs with its reset (see reset.h). */
#include "dev/uart_ns16550.c"
#include "reset.h"

void fuzz_reset_uart_ns16550(void)
{
    memset(uarts, 0, sizeof(uarts));
    uart_count = 0;
}

// SPDX-License-Identifier: MIT
/* vmm/dev/uart_pl011.c: the UARTs with its reset (see reset.h). */
#include "dev/uart_pl011.c"
#include "reset.h"

void fuzz_reset_uart_pl011(void)
{
    memset(uarts, 0, sizeof(uarts));
    uart_count = 0;
}

// SPDX-License-Identifier: MIT
/* vmm/dev/sbsa_gwdt.c: the VM's SBSA watchdog with its reset (see reset.h). */
#include "dev/sbsa_gwdt.c"
#include "reset.h"
#include <string.h>

void fuzz_reset_sbsa_gwdt(void)
{
    memset(&gwdt, 0, sizeof(gwdt));
    memset(&gwdt_timer, 0, sizeof(gwdt_timer));
    gwdt_vm = NULL;
    gwdt_lock = NULL;
    gwdt_freq = 0;
    gwdt_irq = 0;
    gwdt_level = false;
    gwdt_expired = false;
    gwdt_expiries = 0;
    gwdt_made = false;
}

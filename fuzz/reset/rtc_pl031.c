// SPDX-License-Identifier: MIT
/* vmm/dev/rtc_pl031.c: the VM's PL031 with its reset (see reset.h). */
#include "dev/rtc_pl031.c"
#include "reset.h"
#include <string.h>

void fuzz_reset_rtc_pl031(void)
{
    memset(&rtc, 0, sizeof(rtc));
    rtc_vm = NULL;
    rtc_irq = 0;
    rtc_level = false;
    rtc_made = false;
}

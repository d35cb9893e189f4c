// SPDX-License-Identifier: MIT
/* vmm/arch/x86_64/ioapic.c: the I/O APIC with its reset (see reset.h). */
#include "arch/x86_64/ioapic.c"
#include "reset.h"

void fuzz_reset_ioapic(void)
{
    memset(&ioapic, 0, sizeof(ioapic));
}

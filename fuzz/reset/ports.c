// SPDX-License-Identifier: MIT
/* vmm/arch/x86_64/ports.c: the I/O-port devices with its reset (see reset.h). */
#include "arch/x86_64/ports.c"
#include "reset.h"

void fuzz_reset_ports(void)
{
    memset(ports, 0, sizeof(ports));
    port_count = 0;
    pit_init(&pit);
    memset(&rtc, 0, sizeof(rtc));
    rtc_created = false;
    memset(&acpi_pm, 0, sizeof(acpi_pm));
    acpi_pm_created = false;
    pit_dev = rtc_dev = NULL;
    pit_next = rtc_next = UINT64_MAX;
    rtc_level = false;
}

// SPDX-License-Identifier: MIT
/* vmm/dev/pci_bus.c: the VM's PCI bus with its reset (see reset.h). */
#include "dev/pci_bus.c"
#include "reset.h"

void fuzz_reset_pci_bus(void)
{
    memset(&bus, 0, sizeof(bus));
}

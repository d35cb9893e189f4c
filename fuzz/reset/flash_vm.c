// SPDX-License-Identifier: MIT
/* vmm/dev/flash_vm.c: the VM's flash banks with their reset (see reset.h). */
#include "dev/flash_vm.c"
#include "reset.h"

void fuzz_reset_flash_vm(void)
{
    memset(banks, 0, sizeof(banks));
    bank_count = 0;
}

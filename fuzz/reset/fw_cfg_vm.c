// SPDX-License-Identifier: MIT
/* vmm/dev/fw_cfg_vm.c: the VM's fw_cfg with its reset (see reset.h). */
#include "dev/fw_cfg_vm.c"
#include "reset.h"

void fuzz_reset_fw_cfg_vm(void)
{
    memset(&cfg, 0, sizeof(cfg));
    memset(cpus_le16, 0, sizeof(cpus_le16));
    memset(ram_le64, 0, sizeof(ram_le64));
    memset(e820, 0, sizeof(e820));
    memset(kernel_le32, 0, sizeof(kernel_le32));
    memset(setup_le32, 0, sizeof(setup_le32));
    memset(initrd_le32, 0, sizeof(initrd_le32));
    memset(cmdline_le32, 0, sizeof(cmdline_le32));
    made = false;
}

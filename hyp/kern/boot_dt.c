// SPDX-License-Identifier: MIT
// Boot from a device tree (arm64, riscv64: the loader passes a DTB): the console is the UART the
// tree names, the boot information is read from the tree. Listed by those arch.cmake files.
#include <keel/arch/boot.h>
#include <keel/boot_info.h>
#include <keel/console.h>

bool arch_boot_console(const void *fdt)
{
    return console_init(fdt);
}

bool arch_boot_info(struct boot_info *bi, const void *fdt)
{
    return boot_info_from_dt(bi, fdt);
}

/* SPDX-License-Identifier: MIT */
/*
 * The architecture contract: what the boot loader hands over. arm64 and riscv64 are given a device
 * tree (kern/boot_dt.c implements this for both); x86_64 is given multiboot information. Either
 * way the rest of the kernel sees only struct boot_info.
 */
#pragma once
#include <stdbool.h>

struct boot_info;

/* Finds and starts the kernel console from the boot data; false when there is nowhere to print. */
bool arch_boot_console(const void *boot_data);
/* Fills *bi from the boot data (bi->fdt stays NULL without a device tree); false, with the reason
 * printed, when it is unusable. */
bool arch_boot_info(struct boot_info *bi, const void *boot_data);

/* SPDX-License-Identifier: MIT */
/* Starting a VM in its firmware (chosen/keel,firmware) instead of a kernel (loader_firmware.c). */
#pragma once
#include "vm.h"
#include "loader_linux.h" /* struct linux_boot: where the boot vCPU starts, with what */

/* Prepares the VM to start in the boot module `firmware`, which a flash bank of the VM holds
 * (flash_vm.h): 0 with the boot vCPU's entry and argument in *out, or -1 after saying why. */
int firmware_load(struct vm *vm, const void *vm_dt, const char *firmware, struct linux_boot *out);

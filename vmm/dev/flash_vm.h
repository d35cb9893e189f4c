/* SPDX-License-Identifier: MIT */
/*
 * The VM's CFI flash (cfi_flash.h's model) from a "cfi-flash" node of its device tree: the banks
 * UEFI firmware runs from and keeps its variables in (flash_vm.c has the binding). One node per
 * VM, at most FLASH_VM_BANKS banks. A reset of the VM puts every bank back in read-array mode;
 * the contents stay (the variable store survives it).
 */
#pragma once
#include "../vm.h"

#define FLASH_VM_BANKS 2

/* The model of a "cfi-flash" node (platform.c's table): 0, or -1 after saying why. */
int flash_vm_from_dt(struct vm *vm, const void *fdt, int node);
/* The bank that holds boot module `module` (keel,flash-modules): true with its window. */
bool flash_vm_bank_of(const char *module, gpa_t *base, uint64_t *size);
/* Prints each bank's mode switches (at the VM's end). */
void flash_vm_print_stats(struct vm *vm);

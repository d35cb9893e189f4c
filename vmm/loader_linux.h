/* SPDX-License-Identifier: MIT */
/* Loading a Linux Image (arm64, riscv64) with an initrd and a device tree (loader_linux.c). */
#pragma once
#include "vm.h"

struct linux_boot {
    uint64_t entry; /* guest-physical */
    uint64_t dtb;   /* guest-physical address of the device tree (arm64 x0, riscv64 a1) */
};

int linux_load(struct vm *vm, const void *image, uint64_t size, const void *initrd,
               uint64_t initrd_size, const void *vm_dt, struct linux_boot *out);

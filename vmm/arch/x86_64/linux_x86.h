/* SPDX-License-Identifier: MIT */
/* Loading an x86 Linux bzImage with its initrd, command line and ACPI tables (linux_x86.c). */
#pragma once
#include "../../vm.h"
#include "../../loader_linux.h"

/* After the platform is made (the ACPI tables describe its vCPUs and interrupt controllers). */
int x86_linux_load(struct vm *vm, const void *image, uint64_t size, const void *initrd,
                   uint64_t initrd_size, const char *cmdline, struct linux_boot *out);

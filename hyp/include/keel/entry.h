/* SPDX-License-Identifier: MIT */
/* Where an architecture's start-up code enters the generic kernel (kern/main.c, kern/smp.c). */
#pragma once
#include <stdnoreturn.h>

/* The boot CPU, with the boot data (a device tree; x86_64: the multiboot information). */
noreturn void kern_main(const void *boot_data);
/* Every other CPU, once it runs C on its own stack. */
noreturn void kern_secondary_main(void);

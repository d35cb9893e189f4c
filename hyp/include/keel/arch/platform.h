/* SPDX-License-Identifier: MIT */
/* The architecture contract: whole-system control through the firmware (PSCI, SBI). */
#pragma once
#include <stdnoreturn.h>

/* Learns the firmware interface (PSCI conduit, SBI extensions) from the boot device tree. */
void arch_platform_init(const void *fdt);
/* Powers the system off; halts when the firmware refuses. */
noreturn void arch_platform_power_off(void);
/* Resets the system; halts when the firmware refuses. */
noreturn void arch_platform_reset(void);

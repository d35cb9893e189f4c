/* SPDX-License-Identifier: MIT */
/*
 * The architecture contract: CPU control. Declared here once, implemented by each
 * hyp/arch/<arch>/. Generic code reaches the hardware only through headers in keel/arch/.
 */
#pragma once
#include <stdnoreturn.h>

/* Stops this CPU for good (interrupts off, wait for interrupt in a loop). */
noreturn void arch_cpu_halt(void);

/* Name of the architecture as printed in logs ("arm64", "riscv64"). */
extern const char arch_name[];

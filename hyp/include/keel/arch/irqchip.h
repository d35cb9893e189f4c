/* SPDX-License-Identifier: MIT */
/* The architecture contract: the interrupt controller (GICv2/v3, PLIC/APLIC). Lines are the
 * controller's numbers; the kernel's own interrupts (timer, IPI) are handled inside the arch. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

void arch_irq_init(const void *fdt);
void arch_irq_init_cpu(void);
/* First and count of the lines user level may bind through the Icu. */
unsigned arch_irq_first_user_line(void);
unsigned arch_irq_line_count(void);
void arch_irq_line_mask(unsigned line);
void arch_irq_line_unmask(unsigned line);
int arch_irq_line_set_mode(unsigned line, unsigned mode);
void arch_irq_send_ipi(unsigned cpu);

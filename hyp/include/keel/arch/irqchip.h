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

/* Direct delivery of a line to a guest (kern/irq_direct.c): 0 when this controller can (a
 * hardware list register entry the guest deactivates), -KEEL_EPROTO when not, -KEEL_ERANGE for
 * a virtual INTID the guest cannot have. */
int arch_irq_direct_check(unsigned vintid);
/* Masks line and waits until the mask has taken effect. */
void arch_irq_line_mask_sync(unsigned line);
/* Deactivates line (at the distributor: from any CPU; its priority was dropped already). */
void arch_irq_line_deactivate(unsigned line);
/* Routes line to cpu. */
void arch_irq_line_route(unsigned line, unsigned cpu);

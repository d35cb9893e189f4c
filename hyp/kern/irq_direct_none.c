// SPDX-License-Identifier: MIT
/*
 * The interrupt-controller hooks of direct delivery (keel/arch/irqchip.h) for controllers that do
 * not have it (riscv64's PLIC, x86_64's I/O APIC): arm64 GICv3's only. Irq DIRECT is refused
 * (arch_irq_direct_check), so deactivation and routing are never asked for; a mask takes effect
 * when it is written.
 */
#include <keel/arch/irqchip.h>
#include <uapi/keel/err.h>

int arch_irq_direct_check(unsigned vintid)
{
    (void)vintid;
    return -KEEL_EPROTO;
}

void arch_irq_line_mask_sync(unsigned line)
{
    arch_irq_line_mask(line);
}

void arch_irq_line_deactivate(unsigned line)
{
    (void)line;
}

void arch_irq_line_route(unsigned line, unsigned cpu)
{
    (void)line;
    (void)cpu;
}

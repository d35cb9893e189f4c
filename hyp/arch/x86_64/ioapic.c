// SPDX-License-Identifier: MIT
/*
 * Interrupts on x86_64: the kernel's own (timer, reschedule and TLB IPIs) through the local APIC,
 * device lines through the first I/O APIC the MADT names. Icu line n is the I/O APIC's input n
 * (ACPI GSI n for an I/O APIC at GSI base 0; ISA IRQs after the MADT's overrides), delivered to
 * the boot CPU as vector IRQ_VECTOR_BASE + n. A line is masked when it fires and unmasked by its
 * Irq's UNMASK. Polarity is the board's, not the Icu mode's: ISA lines as the MADT's overrides say
 * (active high without one), inputs from 16 up active low (PCI INTx, and QEMU's HPET routed there);
 * the Icu mode chooses level or edge.
 */
#include <keel/arch/irqchip.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/irq.h>
#include <keel/phys.h>
#include <keel/mmio.h>
#include <arch/mmu.h>
#include <arch/x86.h>
#include <uapi/keel/err.h>

#define IOAPIC_REGSEL 0x00
#define IOAPIC_DATA 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDIR 0x10
#define REDIR_MASKED (1u << 16)
#define REDIR_LEVEL (1u << 15)
#define REDIR_ACTIVE_LOW (1u << 13)
#define MAX_LINES (0x100 - IRQ_VECTOR_BASE - 0x10)

static uintptr_t ioapic;
static unsigned lines;
static uint32_t redir_low[MAX_LINES]; /* what is written, so masking needs no read */
static uint32_t polarity[MAX_LINES];  /* REDIR_ACTIVE_LOW where the board wires the line so */

static uint32_t rd(unsigned reg)
{
    mmio_write32(ioapic + IOAPIC_REGSEL, reg);
    return mmio_read32(ioapic + IOAPIC_DATA);
}

static void wr(unsigned reg, uint32_t v)
{
    mmio_write32(ioapic + IOAPIC_REGSEL, reg);
    mmio_write32(ioapic + IOAPIC_DATA, v);
}

static void write_line(unsigned line)
{
    wr(IOAPIC_REDIR + 2 * line + 1, cpus[0].arch.apic_id << 24);
    wr(IOAPIC_REDIR + 2 * line, redir_low[line]);
}

void arch_irq_init(const void *fdt)
{
    (void)fdt;
    paddr_t base;
    unsigned gsi_base;
    if (!acpi_ioapic(&base, &gsi_base)) {
        base = pa_init(0xfec00000); /* where every PC has it */
    }
    ioapic = (uintptr_t)kva_from_pa(base);
    phys_reserve(base, PAGE_SIZE);
    lines = ((rd(IOAPIC_VER) >> 16) & 0xff) + 1;
    lines = lines > MAX_LINES ? MAX_LINES : lines;
    for (unsigned i = 0; i < lines; i++) {
        polarity[i] = i >= 16 ? REDIR_ACTIVE_LOW : 0;
        redir_low[i] = REDIR_MASKED | polarity[i] | (IRQ_VECTOR_BASE + i);
    }
    /* ISA interrupts keep the trigger mode and polarity the MADT's overrides give them. */
    for (unsigned isa = 0; isa < 16; isa++) {
        bool low, level;
        unsigned gsi = acpi_isa_gsi(isa, &low, &level);
        if (gsi < lines) {
            polarity[gsi] = low ? REDIR_ACTIVE_LOW : 0;
            redir_low[gsi] = REDIR_MASKED | polarity[gsi] | (level ? REDIR_LEVEL : 0) |
                             (IRQ_VECTOR_BASE + gsi);
        }
    }
    for (unsigned i = 0; i < lines; i++) {
        write_line(i);
    }
    printk("ioapic: %u lines at 0x%lx\n", lines, (unsigned long)pa_val(base));
}

void arch_irq_init_cpu(void)
{
    lapic_init_cpu();
}

unsigned arch_irq_first_user_line(void)
{
    return 1;
}

unsigned arch_irq_line_count(void)
{
    return lines;
}

/* Masking and unmasking write the entry's low half alone (the mask bit is there): one register
 * write, and no moment in which the entry is rewritten unmasked (an I/O APIC without remote IRR,
 * as Bochs' is, sends a level line's vector again on any write to the entry while it is high). */
void arch_irq_line_mask(unsigned line)
{
    redir_low[line] |= REDIR_MASKED;
    wr(IOAPIC_REDIR + 2 * line, redir_low[line]);
}

void arch_irq_line_unmask(unsigned line)
{
    redir_low[line] &= ~REDIR_MASKED;
    wr(IOAPIC_REDIR + 2 * line, redir_low[line]);
}

int arch_irq_line_set_mode(unsigned line, unsigned mode)
{
    redir_low[line] &= ~(REDIR_LEVEL | REDIR_ACTIVE_LOW);
    redir_low[line] |= polarity[line] | (mode == 0 ? REDIR_LEVEL : 0); /* 0 level, 1 edge */
    write_line(line);
    return 0;
}

void arch_irq_send_ipi(unsigned cpu)
{
    lapic_send_ipi(cpus[cpu].arch.apic_id, VECTOR_RESCHED);
}

void ioapic_handle(unsigned vector)
{
    unsigned line = vector - IRQ_VECTOR_BASE;
    if (line < lines) {
        arch_irq_line_mask(line);
        lapic_eoi();
        irq_line_fired(line);
    } else {
        lapic_eoi();
    }
}

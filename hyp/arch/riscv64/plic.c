// SPDX-License-Identifier: MIT
/*
 * Interrupts on riscv64: the timer (STIP, SBI), IPIs (SSIP, SBI), and device lines through the
 * PLIC (SEIP). Each hart's S-mode PLIC context comes from the device tree (interrupts-extended of
 * the PLIC node: the entry whose CPU interrupt is 9, supervisor external). A device line is masked
 * when it fires (claim + disable + complete) and unmasked by its Irq's UNMASK.
 */
#include <keel/arch/irqchip.h>
#include <keel/arch/timer.h>
#include <keel/percpu.h>
#include <keel/phys.h>
#include <keel/printk.h>
#include <keel/irq.h>
#include <keel/sched.h>
#include <keel/mmio.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <arch/mmu.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <uapi/keel/err.h>
#include "internal.h"

#define PLIC_PRIORITY 0x0
#define PLIC_ENABLE 0x2000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_THRESHOLD 0x200000
#define PLIC_CLAIM 0x200004
#define PLIC_CONTEXT_STRIDE 0x1000

static uintptr_t plic;
static unsigned lines;
static int context_of_hart[64];
static unsigned boot_context;

void arch_irq_init(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "riscv,plic0");
    if (node < 0) {
        node = fdt_node_offset_by_compatible(fdt, -1, "sifive,plic-1.0.0");
    }
    uint64_t base, size, ndev = 0;
    if (node < 0 || !fdt_util_reg(fdt, node, 0, &base, &size)) {
        panic("no PLIC in the device tree");
    }
    plic = (uintptr_t)kva_from_pa(pa_init(base));
    phys_reserve(pa_init(base), size);
    fdt_util_u64(fdt, node, "riscv,ndev", &ndev);
    lines = (unsigned)ndev + 1;
    for (unsigned h = 0; h < 64; h++) {
        context_of_hart[h] = -1;
    }
    /* interrupts-extended: <cpu-intc-phandle irq> pairs, one per context. */
    int len;
    const fdt32_t *ie = fdt_getprop(fdt, node, "interrupts-extended", &len);
    for (int c = 0; ie && c < len / 8; c++) {
        if (fdt32_ld(&ie[2 * c + 1]) != IRQ_S_EXT) {
            continue;
        }
        int intc = fdt_node_offset_by_phandle(fdt, fdt32_ld(&ie[2 * c]));
        int cpu = intc >= 0 ? fdt_parent_offset(fdt, intc) : -1;
        uint64_t hart;
        if (cpu >= 0 && fdt_util_reg(fdt, cpu, 0, &hart, NULL) && hart < 64) {
            context_of_hart[hart] = c;
        }
    }
    for (unsigned i = 1; i < lines; i++) {
        mmio_write32(plic + PLIC_PRIORITY + 4 * i, 1);
    }
    printk("plic: %u lines\n", lines - 1);
}

static int my_context(void)
{
    uint64_t h = this_cpu()->arch.hartid;
    return h < 64 ? context_of_hart[h] : -1;
}

void arch_irq_init_cpu(void)
{
    int c = my_context();
    if (c < 0) {
        panic("no PLIC context for hart %lu", (unsigned long)this_cpu()->arch.hartid);
    }
    if (this_cpu()->id == 0) {
        boot_context = (unsigned)c;
    }
    for (unsigned i = 0; i < lines; i += 32) {
        mmio_write32(plic + PLIC_ENABLE + PLIC_ENABLE_STRIDE * (unsigned)c + i / 8, 0);
    }
    mmio_write32(plic + PLIC_THRESHOLD + PLIC_CONTEXT_STRIDE * (unsigned)c, 0);
}

unsigned arch_irq_first_user_line(void)
{
    return 1;
}

unsigned arch_irq_line_count(void)
{
    return lines;
}

/* Device lines go to the boot hart's context. */
static void set_enable(unsigned line, bool on)
{
    uintptr_t reg = plic + PLIC_ENABLE + PLIC_ENABLE_STRIDE * boot_context + (line / 32) * 4;
    uint32_t v = mmio_read32(reg);
    mmio_write32(reg, on ? v | (1u << (line % 32)) : v & ~(1u << (line % 32)));
}

void arch_irq_line_mask(unsigned line)
{
    set_enable(line, false);
}

void arch_irq_line_unmask(unsigned line)
{
    set_enable(line, true);
}

int arch_irq_line_set_mode(unsigned line, unsigned mode)
{
    (void)line;
    (void)mode; /* the PLIC gateway handles both kinds */
    return 0;
}

void arch_irq_send_ipi(unsigned cpu)
{
    sbi_call(SBI_EXT_IPI, 0, 1, (long)cpus[cpu].arch.hartid, 0);
}

void arch_irq_handle(unsigned cause)
{
    if (cause == IRQ_S_TIMER) {
        arch_timer_set_deadline(UINT64_MAX);
        sched_timer_tick();
    } else if (cause == IRQ_S_SOFT) {
        csr_clear(sip, SIE_SSIE); /* reschedule IPI */
        this_cpu()->need_resched = true;
    } else if (cause == IRQ_S_EXT) {
        int c = my_context();
        uintptr_t claim = plic + PLIC_CLAIM + PLIC_CONTEXT_STRIDE * (unsigned)c;
        unsigned line = mmio_read32(claim);
        if (line) {
            arch_irq_line_mask(line);
            mmio_write32(claim, line);
            irq_line_fired(line);
        }
    }
}

// SPDX-License-Identifier: MIT
/*
 * Whole-system control on a PC. Power-off: ACPI S5 through PM1a_CNT, written SLP_TYP 0 | SLP_EN
 * (0x2000) at port 0x604 — where SeaBIOS puts the ICH9 PM block on QEMU q35 (PMBASE 0x600) —
 * then at 0xb004 (PIIX/Bochs); QEMU exits with status 0. Reset: the ICH9/PIIX reset control
 * register 0xcf9, then the keyboard controller.
 */
#include <keel/arch/platform.h>
#include <keel/arch/cpu.h>
#include <keel/printk.h>
#include <keel/console.h>
#include <arch/pio.h>
#include <arch/x86.h>

#define PM1_SLP_EN_S5 0x2000

void arch_platform_init(const void *fdt)
{
    (void)fdt;
}

/* The machine acts on the write a moment later (QEMU: in its main loop): give it 100 ms. */
static void settle(void)
{
    for (unsigned i = 0; i < 10; i++) {
        pit_wait_us(10000);
    }
}

noreturn void arch_platform_power_off(void)
{
    outw(0x604, PM1_SLP_EN_S5);
    settle();
    outw(0xb004, PM1_SLP_EN_S5);
    settle();
    printk("x86: ACPI power-off did not happen\n");
    console_flush();
    arch_cpu_halt();
}

noreturn void arch_platform_reset(void)
{
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06); /* full reset */
    settle();
    outb(0x64, 0xfe);  /* keyboard controller: pulse the reset line */
    settle();
    printk("x86: reset did not happen\n");
    console_flush();
    arch_cpu_halt();
}

// SPDX-License-Identifier: MIT
/*
 * The interrupt descriptor table (x86_64), shared by all CPUs: 256 interrupt gates (interrupts
 * off on entry) to the stubs of entry.S, which push the vector and a uniform error code. Double
 * faults, NMIs and machine checks run on IST stacks of their own (gdt.c), so a kernel stack
 * overflow still reports and an NMI right after `syscall` does not land on the user's stack.
 */
#include <arch/x86.h>
#include <arch/asm.h>
#include "internal.h"

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define STUB_SIZE 16


static uint64_t idt[256][2] __attribute__((aligned(16)));

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)(arch_idt_stubs + v * STUB_SIZE);
        uint64_t ist = v == 8 ? 1 : v == 2 ? 2 : v == 18 ? 3 : 0;
        idt[v][0] = (a & 0xffff) | (uint64_t)GDT_KERNEL_CS << 16 | ist << 32 |
                    (uint64_t)GATE_INTERRUPT << 40 | ((a >> 16) & 0xffff) << 48;
        idt[v][1] = a >> 32;
    }
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(ptr));
}

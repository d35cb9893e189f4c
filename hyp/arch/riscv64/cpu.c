// SPDX-License-Identifier: MIT
// riscv64 CPU control.
#include <keel/arch/cpu.h>

const char arch_name[] = "riscv64";

noreturn void arch_cpu_halt(void)
{
    __asm__ volatile("csrw sie, zero");
    for (;;) {
        __asm__ volatile("wfi");
    }
}

// SPDX-License-Identifier: MIT
// arm64 CPU control.
#include <keel/arch/cpu.h>

const char arch_name[] = "arm64";

noreturn void arch_cpu_halt(void)
{
    __asm__ volatile("msr daifset, #0xf");
    for (;;) {
        __asm__ volatile("wfi");
    }
}

// SPDX-License-Identifier: MIT
// CPU control of the fake architecture (host unit tests): halting ends the test program.
#include <keel/arch/cpu.h>
#include <stdio.h>
#include <stdlib.h>

const char arch_name[] = "fake";
struct percpu *fake_this_cpu;

noreturn void arch_cpu_halt(void)
{
    fprintf(stderr, "fake arch: CPU halted\n");
    abort();
}

uint64_t arch_cpu_hwid(void)
{
    return 0;
}

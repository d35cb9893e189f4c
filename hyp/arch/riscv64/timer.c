// SPDX-License-Identifier: MIT
// The kernel timer on riscv64: the time CSR and the SBI timer (one deadline per hart).
#include <keel/arch/timer.h>
#include <keel/printk.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <libfdt.h>
#include <fdt_util.h>

static uint64_t freq = 10000000;

void arch_timer_init(const void *fdt)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    uint64_t f;
    if (cpus >= 0 && fdt_util_u64(fdt, cpus, "timebase-frequency", &f) && f) {
        freq = f;
    }
}

void arch_timer_init_cpu(void)
{
    sbi_call(SBI_EXT_TIME, 0, -1, 0, 0);
}

uint64_t arch_timer_now(void)
{
    return csr_read(time);
}

uint64_t arch_timer_freq(void)
{
    return freq;
}

void arch_timer_set_deadline(uint64_t ticks)
{
    sbi_call(SBI_EXT_TIME, 0, (long)ticks, 0, 0); /* UINT64_MAX: never */
}

// SPDX-License-Identifier: MIT
// The kernel timer on riscv64: the time CSR, and one deadline per hart in stimecmp (Sstc, where
// every hart has it and the firmware lets S-mode write it) or else through the SBI timer (an
// ecall into the firmware, several hundred instructions, on every timer change).
#include <keel/arch/timer.h>
#include <keel/printk.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <libfdt.h>
#include <fdt_util.h>
#include "hext.h"

static uint64_t freq = 10000000;
static bool sstc;                   /* the deadline goes straight into stimecmp */
volatile bool arch_stimecmp_refused; /* set by arch_trap_kernel() when the probe traps */

void arch_timer_init(const void *fdt)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    uint64_t f;
    if (cpus >= 0 && fdt_util_u64(fdt, cpus, "timebase-frequency", &f) && f) {
        freq = f;
    }
    sstc = hext_dt_sstc();
}

/* Writes stimecmp once, at a label arch_trap_kernel() knows: a firmware that has not enabled Sstc
 * for S-mode (menvcfg.STCE) makes it an illegal instruction, which is then skipped. */
static __attribute__((noinline)) bool stimecmp_writable(void)
{
    arch_stimecmp_refused = false;
    __asm__ volatile(".globl arch_stimecmp_probe\narch_stimecmp_probe:\n csrw stimecmp, %0"
                     : : "r"(UINT64_MAX) : "memory");
    return !arch_stimecmp_refused;
}

void arch_timer_init_cpu(void)
{
    if (sstc && !stimecmp_writable()) {
        printk("riscv: Sstc named, but stimecmp refused: the SBI timer it is\n");
        sstc = false;
    }
    if (!sstc) {
        sbi_call(SBI_EXT_TIME, 0, -1, 0, 0);
    }
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
    if (sstc) {
        csr_write(stimecmp, ticks); /* UINT64_MAX: never */
    } else {
        sbi_call(SBI_EXT_TIME, 0, (long)ticks, 0, 0);
    }
}

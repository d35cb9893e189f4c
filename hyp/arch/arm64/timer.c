// SPDX-License-Identifier: MIT
// The kernel timer on arm64: the EL2 physical timer (CNTHP), compared against CNTPCT.
#include <keel/arch/timer.h>
#include <arch/sysreg.h>
#include <stdint.h>

static uint64_t freq;

void arch_timer_init(const void *fdt)
{
    (void)fdt;
    freq = sysreg_read(cntfrq_el0);
}

void arch_timer_init_cpu(void)
{
    sysreg_write(cnthctl_el2, 3);    /* EL1/EL0 may read the physical counter and use its timer */
    sysreg_write(cntvoff_el2, 0);
    sysreg_write(cntkctl_el1, 3);    /* EL0 may read the physical and virtual counters */
    sysreg_write(cnthp_ctl_el2, 2);  /* masked until the first deadline */
}

uint64_t arch_timer_now(void)
{
    isb();
    return sysreg_read(cntpct_el0);
}

uint64_t arch_timer_freq(void)
{
    return freq;
}

void arch_timer_set_deadline(uint64_t ticks)
{
    if (ticks == UINT64_MAX) {
        sysreg_write(cnthp_ctl_el2, 2); /* enabled but masked: no interrupt */
        return;
    }
    sysreg_write(cnthp_cval_el2, ticks);
    sysreg_write(cnthp_ctl_el2, 1);
    isb();
}

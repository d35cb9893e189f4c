// SPDX-License-Identifier: MIT
// arm64 CPU control: EL2 set-up of each CPU, secondary start through PSCI.
#include <keel/arch/cpu.h>
#include <keel/boot_info.h>
#include <keel/percpu.h>
#include <keel/arch/context.h>
#include <arch/sysreg.h>
#include <uapi/keel/err.h>
#include "internal.h"

const char arch_name[] = "arm64";


noreturn void arch_cpu_halt(void)
{
    __asm__ volatile("msr daifset, #0xf");
    for (;;) {
        __asm__ volatile("wfi");
    }
}

void arch_cpu_early_init(const struct boot_info *bi)
{
    arch_mmu_build(bi);
    arch_mmu_enable();
}

void arch_cpu_init_local(void)
{
    sysreg_write(vbar_el2, (uint64_t)(uintptr_t)arch_vectors);
    sysreg_write(hcr_el2, HCR_TASK);
    /* EL0 under TGE: stage 1 is off, but these SCTLR_EL1 bits still apply to EL0: no alignment
     * checks, EL0 may read CTR_EL0 (UCT), use DC ZVA (DZE) and cache maintenance (UCI). */
    sysreg_write(sctlr_el1, 0x30d00800ull | (1u << 14) | (1u << 15) | (1u << 26));
    sysreg_write(cpacr_el1, 0);   /* FP/SIMD traps: the user runtime has none */
    sysreg_write(cptr_el2, 0x33ff);
    sysreg_write(mdcr_el2, 0);
    sysreg_write(pmuserenr_el0, 0); /* no PMU at EL0 (reset value UNKNOWN): tasks see time only */
    sysreg_write(vttbr_el2, 0);
    isb();
}

uint64_t arch_cpu_hwid(void)
{
    return sysreg_read(mpidr_el1) & 0xff00ffffffull;
}

int arch_cpu_start(struct percpu *c, void *stack_top)
{
    int64_t r = psci_cpu_on(c->hwid, (uint64_t)(uintptr_t)arch_secondary_entry,
                            (uint64_t)(uintptr_t)stack_top);
    return r == 0 ? 0 : -KEEL_EINVAL;
}

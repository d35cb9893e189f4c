// SPDX-License-Identifier: MIT
// riscv64 CPU control: per-hart trap set-up, secondary start through SBI HSM.
#include <keel/arch/cpu.h>
#include <keel/boot_info.h>
#include <keel/percpu.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <arch/mmu.h>
#include <uapi/keel/err.h>
#include "hext.h"
#include "internal.h"
#include <keel/entry.h>

const char arch_name[] = "riscv64";

static uint64_t boot_hartid;

noreturn void arch_cpu_halt(void)
{
    csr_clear(sstatus, SSTATUS_SIE);
    for (;;) {
        __asm__ volatile("wfi");
    }
}

noreturn void kern_main_riscv(const void *fdt, uint64_t hartid)
{
    boot_hartid = hartid;
    kern_main(fdt);
}

noreturn void kern_secondary_riscv(uint64_t hartid)
{
    boot_hartid = hartid; /* read back by arch_cpu_hwid() before tp is set */
    kern_secondary_main();
}

void arch_cpu_early_init(const struct boot_info *bi)
{
    hext_detect(bi->fdt); /* paging is already on (boot.S) */
}

void arch_cpu_init_local(void)
{
    csr_write(stvec, (uint64_t)(uintptr_t)arch_trap_vector);
    csr_write(sscratch, 0);
    csr_write(sie, SIE_SSIE | SIE_STIE | SIE_SEIE);
    csr_clear(sstatus, SSTATUS_FS); /* FP registers: guests' only (vcpu_hext.c), off elsewhere */
    /* U-mode reads time only: cycle, instret and the event counters would tell a task about the
     * others (and the guests). Before hext_init_cpu(), which keeps this as the tasks' value. */
    csr_write(scounteren, 2);
    this_cpu()->arch.hartid = boot_hartid;
    hext_init_cpu();
}

bool arch_cpu_sleep_works(void)
{
    return true;
}

/* arch_cpu_relax made the software interrupt pending to end its WFI at once: cleared before the
 * waiter looks at the lock a last time, so an IPI sent after that look still wakes it. A real
 * IPI cleared with it loses nothing: its sender wrote down why first (need_resched, asked, the
 * lock). */
void arch_cpu_sleep_prepare(void)
{
    csr_clear(sip, SIE_SSIE);
}

void arch_cpu_sleep(void)
{
    /* The IPI and the timer alone: device interrupts (SEIE) stay pending, and so do a guest's
     * (hie's VS bits, still the guest's after an exit), which would end the WFI at once. */
    uint64_t hie = hext_present ? csr_read(hie) : 0;
    if (hie) {
        csr_write(hie, 0);
    }
    csr_write(sie, SIE_SSIE | SIE_STIE);
    __asm__ volatile("wfi" ::: "memory");
    csr_write(sie, SIE_SSIE | SIE_STIE | SIE_SEIE); /* (arch_cpu_init_local's) */
    if (hie) {
        csr_write(hie, hie);
    }
    csr_clear(sip, SIE_SSIE); /* the IPI, taken here (its sender wrote down why) */
}

uint64_t arch_cpu_hwid(void)
{
    return boot_hartid;
}

int arch_cpu_start(struct percpu *c, void *stack_top)
{
    /* Harts start one at a time: boot_hartid is handed over under the big kernel lock. */
    struct sbiret r = sbi_call(SBI_EXT_HSM, 0, (long)c->hwid,
                               (long)pa_val(pa_from_kva((void *)arch_secondary_entry)),
                               (long)(uintptr_t)stack_top);
    return r.error ? -KEEL_EINVAL : 0;
}

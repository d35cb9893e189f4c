// SPDX-License-Identifier: MIT
/*
 * Invalidating translations on other harts (riscv64) with the kernel's own IPIs rather than SBI
 * RFENCE. The caller holds the big lock; each target is at user level or in a guest (the IPI
 * brings it into the kernel), or in its idle loop (the IPI wakes it), and in all three cases it
 * then spins on the big lock, where arch_cpu_relax() finds the request, drops every translation
 * it holds and says so. The caller waits for that, sending the IPI again now and then: under
 * QEMU 7.2 some IPIs never arrive (docs/kernel.md), and RFENCE would wait for a lost one inside
 * the firmware for good. Whole flushes: simple, and remote invalidation is rare (a task's memory
 * unmapped while one of its threads runs on another hart).
 */
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/timeout.h>
#include <keel/arch/irqchip.h>
#include <keel/arch/timer.h>
#include <arch/cpu.h>
#include "hext.h"
#include "shootdown.h"

static bool asked[KEEL_MAX_CPUS];

void arch_tlb_flush_if_asked(void)
{
    unsigned me = this_cpu()->id;
    if (__atomic_load_n(&asked[me], __ATOMIC_ACQUIRE)) {
        __asm__ volatile("sfence.vma zero, zero" ::: "memory");
        if (hext_present) {
            __asm__ volatile(".option push\n.option arch, +h\nhfence.gvma zero, zero\n.option pop"
                             ::: "memory");
        }
        __atomic_store_n(&asked[me], false, __ATOMIC_RELEASE);
    }
}

void shootdown(const bool targets[KEEL_MAX_CPUS])
{
    uint64_t retry = timeout_ticks_from_us(IPI_RETRY_US);
    for (unsigned i = 0; i < cpu_count; i++) {
        if (targets[i]) {
            __atomic_store_n(&asked[i], true, __ATOMIC_RELEASE);
            arch_irq_send_ipi(i);
        }
    }
    for (unsigned i = 0; i < cpu_count; i++) {
        uint64_t sent = arch_timer_now();
        while (__atomic_load_n(&asked[i], __ATOMIC_ACQUIRE)) {
            uint64_t now = arch_timer_now();
            if (now - sent >= retry) {
                cpus[i].ipis_resent++;
                arch_irq_send_ipi(i);
                sent = now;
            }
            arch_cpu_relax();
        }
    }
}

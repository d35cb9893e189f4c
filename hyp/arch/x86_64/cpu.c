// SPDX-License-Identifier: MIT
// x86_64 CPU control: per-CPU tables and system-call MSRs, and starting the other CPUs with
// INIT-SIPI-SIPI through the real-mode trampoline of ap_boot.S, copied to AP_TRAMPOLINE_PA.
#include <keel/arch/cpu.h>
#include <keel/boot_info.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/arch/timer.h>
#include <arch/mmu.h>
#include <arch/msr.h>
#include <arch/x86.h>
#include <uapi/keel/err.h>
#include <string.h>
#include "internal.h"
#include "vcpu_x86.h"
#include <keel/entry.h>

#define FMASK_BITS 0x47700 /* TF IF DF IOPL NT AC: cleared on syscall entry */

const char arch_name[] = "x86_64";

extern uint64_t boot_pml4[512];

/* Filled before each start; the trampoline sets `arrived` once it has taken the stack. */
struct ap_mailbox {
    uint64_t cr3, efer, stack, entry;
    volatile uint64_t arrived;
};

noreturn void arch_cpu_halt(void)
{
    for (;;) {
        __asm__ volatile("cli\n hlt");
    }
}

void arch_set_this_cpu(struct percpu *p)
{
    p->arch.self = p;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
}

void arch_cpu_early_init(const struct boot_info *bi)
{
    (void)bi; /* paging is on (multiboot.S) */
    idt_init();
}

void x86_syscall_msrs(void)
{
    wrmsr(MSR_STAR, (uint64_t)(GDT_USER_DS - 8) << 48 | (uint64_t)GDT_KERNEL_CS << 32);
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)arch_syscall_entry);
    wrmsr(MSR_FMASK, FMASK_BITS);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void arch_cpu_init_local(void)
{
    gdt_init_cpu();
    idt_load();
    x86_syscall_msrs();
    /* No x87/MMX/SSE at user level (#NM, #UD: exceptions): the kernel switches no FPU state
     * for tasks, so its registers would carry one task's data to the next (guests' are
     * switched by vcpu_x86.c, which turns CR4.OSFXSR on for FXSAVE; EM still stops tasks). */
    write_cr0(read_cr0() | CR0_EM | CR0_MP);
    svm_init_cpu();
    vmx_probe_cpu();
    vcpu_x86_init_cpu();
}

bool arch_cpu_sleep_works(void)
{
    return true;
}
void arch_cpu_sleep_prepare(void)
{
}

/* HLT wakes only with interrupts enabled: the task priority (CR8, by class of 16 vectors; 0 in
 * the kernel otherwise) lets in class 15 alone, the IPIs and the timer, which arch_trap_kernel
 * hands to sleep_interrupt() (trap.c) instead of the handlers that want the lock. */
void arch_cpu_sleep(void)
{
    struct percpu *c = this_cpu();
    c->arch.sleeping = true;
    __asm__ volatile("mov %0, %%cr8\n sti\n hlt\n cli\n mov %1, %%cr8"
                     :
                     : "r"(14ul), "r"(0ul)
                     : "memory");
    c->arch.sleeping = false;
}

uint64_t arch_cpu_hwid(void)
{
    return cpuid(1, 0).ebx >> 24; /* initial local APIC id, as the MADT lists it */
}

noreturn void arch_cpu_stop(void)
{
    vmx_cpu_off();   /* (in VMX operation, INIT would be ignored) */
    arch_cpu_halt(); /* INIT-SIPI-SIPI starts it again */
}

noreturn void kern_secondary_x86(void)
{
    kern_secondary_main();
}

int arch_cpu_start(struct percpu *c, void *stack_top)
{
    /* CPUs start one at a time (under the big lock): the mailbox is handed over before return. */
    char *page = kva_from_pa(pa_init(AP_TRAMPOLINE_PA));
    memcpy(page, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
    struct ap_mailbox *mb = (struct ap_mailbox *)(page + (ap_mailbox - ap_trampoline));
    mb->cr3 = pa_val(pa_from_kva(boot_pml4));
    mb->efer = rdmsr(MSR_EFER);
    mb->stack = (uint64_t)(uintptr_t)stack_top;
    mb->entry = (uint64_t)(uintptr_t)kern_secondary_x86;
    mb->arrived = 0;
    lapic_start_cpu((uint32_t)c->hwid);
    for (unsigned i = 0; i < 100 && !mb->arrived; i++) {
        pit_wait_us(1000);
    }
    return mb->arrived ? 0 : -KEEL_EBUSY;
}

/* SPDX-License-Identifier: MIT */
/* What the x86_64 files of the kernel share among themselves (entry points in assembly, the TLB
 * between files); the arch contract proper is keel/arch/. */
#pragma once
#include <stdint.h>
#include <stdnoreturn.h>

struct arch_regs;
struct thread;

/* Assembly (entry.S, switch.S, svm_enter.S, the AP trampoline). */
extern char arch_idt_stubs[];
extern char ap_trampoline[], ap_trampoline_end[], ap_mailbox[];
void arch_thread_trampoline(void);
/* C entries from multiboot.S and the AP trampoline: the boot CPU, and the others. */
noreturn void kern_main_x86(uint32_t magic, uint32_t info_pa);
noreturn void kern_secondary_x86(void);
void arch_syscall_entry(void);
uint64_t svm_enter(uint64_t *gpr, uint64_t vmcb_pa, uint64_t host_pa);
/* The thread switches away from this CPU: its guest's x87/SSE registers into its private part,
 * its VMCS out of the CPU (vcpu_x86.c). */
void arch_vcpu_switch_out(struct thread *t);
/* Called from the entry stubs (trap.c); the local TLB (pt.c). */
void arch_trap_user(struct arch_regs *r);
void arch_trap_kernel(struct arch_regs *r);
void arch_tlb_flush_local(void);

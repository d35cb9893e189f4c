/* SPDX-License-Identifier: MIT */
/* What the riscv64 files of the kernel share among themselves (entry points in assembly, the
 * interrupt dispatch between files); the arch contract proper is keel/arch/. */
#pragma once
#include <stdint.h>
#include <stdnoreturn.h>

struct arch_regs;
struct thread;

/* Assembly (trap.S, switch.S, guest.S, fp.S, boot.S). */
extern char arch_trap_vector[], arch_guest_vector[];
void arch_thread_trampoline(void);
void arch_secondary_entry(void);
/* C entries from boot.S: the boot hart, and the others. */
noreturn void kern_main_riscv(const void *fdt, uint64_t hartid);
noreturn void kern_secondary_riscv(uint64_t hartid);
uint64_t arch_guest_enter(uint64_t *x);
void arch_fp_save(uint64_t *fp);
void arch_fp_load(const uint64_t *fp);
/* The thread switches away from this hart: its guest's VS CSRs into its private part
 * (vcpu_hext.c). */
void arch_vcpu_switch_out(struct thread *t);
/* Called from the trap vector (trap.c); interrupts by cause (plic.c). */
void arch_trap_user(struct arch_regs *r);
void arch_syscall(struct arch_regs *r);
void arch_trap_kernel(struct arch_regs *r);
void arch_irq_handle(unsigned cause);

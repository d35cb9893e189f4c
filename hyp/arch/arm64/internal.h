/* SPDX-License-Identifier: MIT */
/* What the arm64 files of the kernel share among themselves (entry points in assembly, the GIC
 * and PSCI between files); the arch contract proper is keel/arch/. */
#pragma once
#include <stdint.h>
#include <stdnoreturn.h>

struct arch_regs;
struct boot_info;
struct thread;

/* Assembly (vectors.S, switch.S, guest.S, fpsimd.S, boot.S). */
extern char arch_vectors[], arch_guest_vectors[];
void arch_thread_trampoline(void);
/* C entries from vectors.S: a synchronous exception of the kernel itself, a vector never used. */
noreturn void arch_trap_kernel_sync(struct arch_regs *r);
noreturn void arch_trap_bad_vector(struct arch_regs *r);
void arch_secondary_entry(void);
uint64_t arch_guest_enter(uint64_t *regs);
void arch_fpsimd_save(void *buf);
void arch_fpsimd_load(void *buf);
/* The thread switches away from this CPU: its guest's EL1 registers into its private part
 * (vcpu_el2.c). */
void arch_vcpu_switch_out(struct thread *t);
/* Called from the vectors (trap.c). */
void arch_trap_user_sync(struct arch_regs *r);
void arch_trap_user_irq(struct arch_regs *r);
void arch_trap_user_serror(struct arch_regs *r);
void arch_trap_kernel_irq(struct arch_regs *r);
void arch_trap_kernel_serror(struct arch_regs *r);
/* The interrupt controller (gic.c). */
unsigned arch_gic_version(void);
void arch_gic_v2_virt(uintptr_t *control, uint64_t *cpuif);
void arch_gic_handle(void);
/* The MMU (mmu.c) and PSCI (psci.c). */
void arch_mmu_build(const struct boot_info *bi);
void arch_mmu_enable(void);
int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);

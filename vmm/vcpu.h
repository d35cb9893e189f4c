/* SPDX-License-Identifier: MIT */
/*
 * Guest CPUs (struct vcpu in vm.h): each one a thread of the VMM that resumes its guest, handles
 * the exit (arch/<arch>/exit.c) and resumes again. vCPU 0 is the VMM's first thread; the others
 * are created on the guest's request (PSCI CPU_ON, SBI HSM) and placed on the physical CPU the
 * VM device tree gives them. Layout of the VMM's UTCB area: UTCBs of the vCPU threads first (1
 * KiB each, two pages), then one state page per vCPU.
 */
#pragma once
#include "vm.h"

/* Sets up vCPU id (its kick Irq, UTCB and state page) with the affinity mpidr on physical CPU
 * pcpu. vCPU 0 is the calling thread. Returns 0 or -err. */
int64_t vcpu_create(struct vm *vm, unsigned id, uint64_t mpidr, unsigned pcpu);
/* Powers v on at pc with ctx (PSCI CPU_ON): starts its thread the first time. 0 or -err. */
int64_t vcpu_power_on(struct vcpu *v, uint64_t pc, uint64_t ctx);
/* x86 INIT: v stops where it is and waits, powered off, for a vcpu_power_on (a STARTUP). */
void vcpu_init_signal(struct vcpu *v);
/* Runs vCPU 0 (the calling thread) until the guest powers off (0) or must be stopped (-1). */
int vcpu_run(struct vcpu *v);
/* Makes the whole vCPU state current in v's area (its own thread, between resumes: the kernel
 * keeps the groups of uapi/keel/vcpu.h's sync until asked). 0, or -1 (reported). */
int vcpu_state_sync(struct vcpu *v);
/* Prints each vCPU's exit counts (when the VM ends). */
void vcpu_print_stats(struct vm *vm);
/* Stops every vCPU (the guest powered off or broke). */
void vm_stop(struct vm *vm);
/* The guest reset the system (PSCI SYSTEM_RESET, ...): the VM starts again in place as at power
 * on (vcpu.c says how), or, when the VMM cannot restart it, stops with status `status`. Any
 * thread may call it. */
void vm_reset(struct vm *vm, int64_t status);

/* Architecture hooks (arch/<arch>/exit.c). */
/* Handles one exit with the kernel's reason; 0 to resume the guest, -1 to stop the VM. */
int arch_vcpu_exit(struct vcpu *v, int64_t reason);
/* Just before each resume (e.g. fill the interrupt controller's list registers). */
void arch_vcpu_before_resume(struct vcpu *v);
/* The state of a CPU at reset, starting at entry with ctx in its first argument register. */
void arch_vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t ctx);
/* The interrupt controller model back to its power-on state (the lines' levels, which the
 * devices drive, stay): false when the architecture's VMM cannot do that yet. */
bool arch_vm_reset(struct vm *vm);

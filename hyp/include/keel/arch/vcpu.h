/* SPDX-License-Identifier: MIT */
/* The architecture contract: extended vCPU mode (running a guest CPU, see uapi/keel/vcpu.h). */
#pragma once
#include <stdint.h>

struct thread;
struct task;

/* Size of the architecture's vCPU state area (it must fit in one page). */
extern const uint64_t arch_vcpu_state_size;
/* Size of the kernel-only part of a vCPU's state (allocated from the thread's quota; 0: none). */
extern const uint64_t arch_vcpu_private_size;
/* Runs the guest of thread self (the current thread, in the kernel with the big lock held) on
 * VM vm with the state area state (kernel address), until an exit for the VMM. Returns the
 * exit reason (keel_vcpu_exit) or -KEEL_EINVAL for a state the hardware must not run. */
int64_t arch_vcpu_run(struct thread *self, struct task *vm, void *state);
/* The thread's vCPU state goes away (its private part is freed by the caller). */
void arch_vcpu_release(struct thread *t);
/* Maps the interrupt controller's virtual CPU interface into VM task t at guest address gpa
 * (arm64 with GICv2: the GICV frames, which the guest uses as its GICC). 0, -KEEL_EINVAL for a
 * bad address, -KEEL_EPROTO where there is nothing to map (GICv3: system registers). */
int64_t arch_task_map_virt_cpuif(struct task *t, uint64_t gpa);

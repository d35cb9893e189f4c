/* SPDX-License-Identifier: MIT */
/* One resume of a riscv64 vCPU (keel/arch/vcpu_ext.h): the kernel's copy of the state area and what
 * the run keeps besides. */
#pragma once
#include <uapi/keel/vcpu.h>

struct thread;
struct task;

struct vcpu_run {
    struct keel_vcpu_state k;
    struct thread *self;
    struct task *vm;
};

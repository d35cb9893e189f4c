/* SPDX-License-Identifier: MIT */
/* One resume of an x86_64 vCPU under AMD SVM (keel/arch/vcpu_ext.h): the kernel's copy of the state
 * area and what the run keeps besides. */
#pragma once
#include <stdbool.h>
#include <uapi/keel/vcpu.h>

struct thread;
struct task;
struct vmcb;

struct vcpu_run {
    struct keel_vcpu_state k;
    struct thread *self;
    struct task *vm;
    struct vmcb *vmcb;  /* loaded from k at the beginning, saved into it at the end */
    uint64_t injecting; /* the event the last entry was to deliver */
    bool ran;           /* the CPU's x87/SSE registers hold the guest's, changed since saved */
};

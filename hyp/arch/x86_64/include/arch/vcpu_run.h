/* SPDX-License-Identifier: MIT */
/* One resume of an x86_64 vCPU under AMD SVM (keel/arch/vcpu_ext.h): the VMCB (the vCPU's state
 * in the kernel, built from what the area gives and checked), and what the run keeps besides.
 * The general registers but rax and rsp go between the area and the CPU directly. */
#pragma once
#include <stdbool.h>
#include <uapi/keel/vcpu.h>

struct thread;
struct task;
struct vmcb;
struct vcpu_private;

struct vcpu_run {
    struct keel_vcpu_state *area;
    uint64_t want, timer_deadline;
    struct thread *self;
    struct task *vm;
    struct vcpu_private *p;
    struct vmcb *vmcb;
    uint64_t injecting; /* the event the last entry was to deliver */
};

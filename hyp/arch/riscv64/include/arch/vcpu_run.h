/* SPDX-License-Identifier: MIT */
/* One resume of a riscv64 vCPU (keel/arch/vcpu_ext.h): what the kernel took from the state area
 * (the VMM may change the area at any time: what must be checked is read once, into here) and
 * what the run keeps besides. The general registers go between the area and the hart directly. */
#pragma once
#include <uapi/keel/vcpu.h>

struct thread;
struct task;
struct vcpu_private;

struct vcpu_run {
    struct keel_vcpu_state *area;
    uint64_t pc, priv; /* checked */
    uint64_t vsie, vsatp, vstimecmp, hvip, requests;
    struct thread *self;
    struct task *vm;
    struct vcpu_private *p;
};

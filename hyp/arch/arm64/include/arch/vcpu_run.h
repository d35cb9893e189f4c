/* SPDX-License-Identifier: MIT */
/* One resume of an arm64 vCPU (keel/arch/vcpu_ext.h): the kernel's copy of the state area and what
 * the run keeps besides. */
#pragma once
#include <stdbool.h>
#include <uapi/keel/vcpu.h>

struct thread;
struct task;
struct vgic_state;

struct vcpu_run {
    struct keel_vcpu_state k;
    struct thread *self;
    struct task *vm;
    struct vgic_state *vgic; /* the list registers' bookkeeping (NULL: no virtual interface) */
    bool fp_live;            /* the FP/SIMD registers hold the guest's (loaded on first use) */
};

/* SPDX-License-Identifier: MIT */
/* One resume of an arm64 vCPU (keel/arch/vcpu_ext.h): what the kernel took from the state area
 * (the VMM may change the area at any time: what must be checked is read once, into here) and
 * what the run keeps besides. The general registers go between the area and the CPU directly. */
#pragma once
#include <stdbool.h>
#include <uapi/keel/vcpu.h>

struct thread;
struct task;
struct vgic_state;
struct vcpu_private;

struct vcpu_run {
    struct keel_vcpu_state *area;
    uint64_t pc, pstate;          /* checked */
    uint32_t vgic_flags;          /* checked */
    uint32_t vgic_direct;         /* checked: KEEL_VGIC_DIRECT_* */
    uint64_t cntv_ctl, cntv_cval; /* the guest's virtual timer while it is out of the CPU */
    bool vtimer_held;             /* its interrupt taken, not yet deactivated by the guest */
    struct thread *self;
    struct task *vm;
    struct vcpu_private *p;
    struct vgic_state *vgic; /* the list registers' bookkeeping (NULL: no virtual interface) */
    bool fp_live;            /* the FP/SIMD registers hold the guest's (loaded on first use) */
};

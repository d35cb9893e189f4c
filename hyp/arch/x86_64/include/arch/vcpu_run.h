/* SPDX-License-Identifier: MIT */
/* One resume of an x86_64 vCPU (keel/arch/vcpu_ext.h), under either back end (vcpu_x86.h): what
 * the run keeps besides the back end's own state (the VMCB or VMCS in the private part). The
 * general registers but rsp (and rax with SVM) go between the area and the CPU directly. */
#pragma once
#include <stdbool.h>
#include <uapi/keel/vcpu.h>

struct thread;
struct task;
struct vcpu_private;

struct vcpu_run {
    struct keel_vcpu_state *area;
    uint64_t want, timer_deadline;
    uint16_t pm_timer_port; /* the area's, checked (0: none) */
    struct thread *self;
    struct task *vm;
    struct vcpu_private *p;
    uint64_t injecting; /* the event the last entry was to deliver */
    /* VT-x: the last exit for the VMM, in the area's format (SVM's VMCB has it already). */
    uint64_t exit_code, exit_info1, exit_info2, exit_int_info;
};

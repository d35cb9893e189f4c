/* SPDX-License-Identifier: MIT */
/*
 * The resume loop of the vCPU library (in the spirit of L4Re's libvcpu): a VMM thread bound to a
 * vCPU (Thread VCPU, uapi/keel/vcpu.h) resumes it, hands each exit to the VMM's handler and goes
 * on until the VMM says stop. The VMM brings the platform: when to stop, what to do before each
 * resume (power state, interrupts into the state area), what an exit means.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct keel_vcpu_state;

/* before_resume's answers. */
enum vcpu_loop_next {
    VCPU_LOOP_RESUME = 0,  /* resume now */
    VCPU_LOOP_NOT_NOW = 1, /* ask again (the vCPU waited while powered off, say) */
    VCPU_LOOP_STOP = 2,    /* the VM is off: the loop ends (0) */
    VCPU_LOOP_FAIL = -1,   /* the loop ends (-1) */
};

struct vcpu_loop_ops {
    /* Before each resume: what next (enum vcpu_loop_next). */
    int (*before_resume)(void *arg);
    /* One exit: the kernel's reason (enum keel_vcpu_exit) or its refusal to resume (-err). 0 go
     * on, -1 end the loop (-1). */
    int (*exit)(void *arg, int64_t reason);
};

struct vcpu_loop {
    uint64_t thread, kick; /* capabilities: the vCPU's thread (the caller) and its kick Irq */
    uint64_t *exits;       /* [8] counts by reason (refusals and unknown reasons at 0), or NULL */
    const struct vcpu_loop_ops *ops;
    void *arg;
};

/* Runs l on the calling thread until VCPU_LOOP_STOP (0) or an end (-1). */
int vcpu_loop_run(const struct vcpu_loop *l);

/* One resume of the calling thread's vCPU (Thread VCPU_RESUME): the exit reason, or -err. After
 * an EVENT exit the kick Irq's queued triggers are taken: they only made the vCPU look. */
int64_t vcpu_resume(uint64_t thread, uint64_t kick);

/* Makes every group of the vCPU's state current in its area s (Thread VCPU_SYNC, between
 * resumes, on the vCPU's own thread), unless it is already (s->sync.valid): 0, or -err. */
int64_t vcpu_state_fetch(uint64_t thread, struct keel_vcpu_state *s);

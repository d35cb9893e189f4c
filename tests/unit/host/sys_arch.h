/* SPDX-License-Identifier: MIT */
/* The system call for host unit tests of user-level code that calls the kernel (the root task's
 * devices, the VMM's passthrough): no kernel here. Every call is recorded (capability, opcode,
 * first arguments) and answered with host_result (0, or -err for a test of the failure paths). */
#pragma once
#include <stdint.h>
#include <uapi/keel/syscall.h>
#include <uapi/keel/utcb.h>

#define HOST_MAX_CALLS 256

struct host_call {
    uint64_t cap, op, mr[4];
};

extern struct keel_utcb host_utcb;
extern struct host_call host_calls[HOST_MAX_CALLS];
extern unsigned host_call_count;
extern int64_t host_result;

static inline uint64_t keel_sys_invoke(uint64_t tag, uint64_t sel, uint64_t timeouts,
                                       uint64_t *label)
{
    (void)tag, (void)timeouts;
    if (host_call_count < HOST_MAX_CALLS) {
        struct host_call *c = &host_calls[host_call_count++];
        c->cap = sel >> KEEL_CAP_SHIFT;
        c->op = host_utcb.mr[0];
        for (unsigned i = 0; i < 4; i++) {
            c->mr[i] = host_utcb.mr[1 + i];
        }
    }
    if (label) {
        *label = 0;
    }
    return keel_tag(host_result, 0, 0);
}

static inline struct keel_utcb *keel_utcb(void)
{
    return &host_utcb;
}
static inline uint64_t keel_cycles(void)
{
    return 0;
}

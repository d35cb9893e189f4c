/* SPDX-License-Identifier: MIT */
/*
 * The user-level view of Keel's one system call: IPC operations and kernel-object calls.
 * Every function returns the received tag; keel_tag_is_error() tells a failure, whose code is
 * keel_ipc_error().
 */
#pragma once
#include <stdint.h>
#include <sys_arch.h>
#include <uapi/keel/syscall.h>
#include <uapi/keel/utcb.h>
#include <uapi/keel/err.h>
#include <uapi/keel/kobj.h>
#include <uapi/keel/fpage.h>

#define KEEL_NEVER KEEL_TIMEOUTS(KEEL_TIMEOUT_NEVER, KEEL_TIMEOUT_NEVER)

static inline uint64_t keel_sel(uint64_t cap, unsigned ops)
{
    return (cap << KEEL_CAP_SHIFT) | ops;
}

static inline int keel_ipc_error(void)
{
    return -(int)keel_utcb()->tcr[KEEL_TCR_ERROR];
}

static inline uint64_t keel_call(uint64_t cap, uint64_t tag, uint64_t timeouts, uint64_t *label)
{
    return keel_sys_invoke(tag, keel_sel(cap, KEEL_OP_CALL), timeouts, label);
}

static inline uint64_t keel_send(uint64_t cap, uint64_t tag, uint32_t timeout)
{
    return keel_sys_invoke(tag, keel_sel(cap, KEEL_OP_SEND), KEEL_TIMEOUTS(timeout, 0), 0);
}

static inline uint64_t keel_wait(uint32_t timeout, uint64_t *label)
{
    return keel_sys_invoke(0, keel_sel(0, KEEL_OP_WAIT), KEEL_TIMEOUTS(0, timeout), label);
}

static inline uint64_t keel_receive(uint64_t cap, uint32_t timeout, uint64_t *label)
{
    return keel_sys_invoke(0, keel_sel(cap, KEEL_OP_RECV), KEEL_TIMEOUTS(0, timeout), label);
}

static inline uint64_t keel_reply_wait(uint64_t tag, uint32_t timeout, uint64_t *label)
{
    return keel_sys_invoke(tag, keel_sel(0, KEEL_OP_REPLY_WAIT), KEEL_TIMEOUTS(0, timeout), label);
}

static inline uint64_t keel_reply(uint64_t tag)
{
    return keel_sys_invoke(tag, keel_sel(0, KEEL_OP_REPLY | KEEL_OP_SEND), 0, 0);
}

/* Calls a kernel object: MR0 = op, MR1.. = args. Returns the reply label (result >= 0 or
 * -keel_err), or -keel_err of a failed IPC. */
static inline int64_t keel_kobj_call(uint64_t cap, uint64_t op, unsigned nargs, const uint64_t *args)
{
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = op;
    for (unsigned i = 0; i < nargs; i++) {
        u->mr[1 + i] = args[i];
    }
    uint64_t tag = keel_call(cap, keel_tag(KEEL_PROTO_KOBJ, 1 + nargs, 0), KEEL_NEVER, 0);
    if (keel_tag_is_error(tag)) {
        return keel_ipc_error();
    }
    return keel_tag_label(tag);
}

#define KEEL_NARGS_(...) (sizeof((uint64_t[]){ 0, ##__VA_ARGS__ }) / sizeof(uint64_t) - 1)
/* KOBJ(cap, op, args...): a kernel-object call with up to 8 arguments. */
#define KOBJ(cap, op, ...) \
    keel_kobj_call((cap), (op), KEEL_NARGS_(__VA_ARGS__), (const uint64_t[]){ 0, ##__VA_ARGS__ } + 1)

/* SPDX-License-Identifier: MIT */
/*
 * Error codes of the kernel ABI. An invocation that fails returns a message tag with the error flag
 * set and one of these codes in the UTCB's error register (utcb->tcr[UTCB_TCR_ERROR]); kernel
 * object protocols return them (negated) as the label of the reply tag. docs/abi.md lists them.
 */
#pragma once

enum keel_err {
    KEEL_EOK = 0,
    KEEL_EINVAL = 1,    /* malformed argument: opcode, flexpage, tag, address */
    KEEL_ENOCAP = 2,    /* capability index empty or out of range */
    KEEL_EPERM = 3,     /* the capability lacks a right the operation needs */
    KEEL_ENOMEM = 4,    /* the factory's kernel-memory quota is exhausted */
    KEEL_ETIMEOUT = 5,  /* the send or receive timeout expired */
    KEEL_ECANCELED = 6, /* the partner was destroyed or the IPC aborted by ex_regs */
    KEEL_EBUSY = 7,     /* the object is in use (e.g. IRQ already attached, slot occupied) */
    KEEL_ENOENT = 8,    /* no such thing: unbound gate, empty receive window, unknown CPU */
    KEEL_ERANGE = 9,    /* a number out of range: priority, CPU, IRQ line, address beyond the space */
    KEEL_EPROTO = 10,   /* the object does not implement the protocol the tag names */
    KEEL_EMSGSIZE = 11, /* message or typed items do not fit */
    KEEL_EFAULT = 12,   /* UTCB missing or unaligned; pager answered with nothing usable */
    KEEL_EEXIST = 13,   /* a mapping or capability already occupies the destination */
    KEEL_ERR_COUNT
};

static inline const char *keel_strerror(long e)
{
    static const char *const names[KEEL_ERR_COUNT] = {
        [KEEL_EOK] = "ok",          [KEEL_EINVAL] = "invalid argument",
        [KEEL_ENOCAP] = "no capability", [KEEL_EPERM] = "permission denied",
        [KEEL_ENOMEM] = "quota exhausted", [KEEL_ETIMEOUT] = "timeout",
        [KEEL_ECANCELED] = "canceled", [KEEL_EBUSY] = "busy",
        [KEEL_ENOENT] = "not found", [KEEL_ERANGE] = "out of range",
        [KEEL_EPROTO] = "protocol not implemented", [KEEL_EMSGSIZE] = "message too large",
        [KEEL_EFAULT] = "bad address", [KEEL_EEXIST] = "exists",
    };
    if (e < 0) {
        e = -e;
    }
    return e < KEEL_ERR_COUNT ? names[e] : "unknown error";
}

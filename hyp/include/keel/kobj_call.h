/* SPDX-License-Identifier: MIT */
/* One invocation of a kernel object: arguments in the caller's UTCB message registers (MR0 is
 * the opcode), results written back there; `result` becomes the reply's label. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <uapi/keel/syscall.h>
#include <uapi/keel/utcb.h>
#include <uapi/keel/err.h>
#include <keel/kobj.h>

struct thread;

struct kobj_msg {
    struct thread *caller;
    uint64_t *mr;        /* the caller's message registers */
    unsigned words;      /* words sent */
    unsigned out_words;  /* words in the reply */
};

struct kobj;

/* The object behind capability idx of self's task, if it has type `type` (KEEL_OBJ_NONE: any)
 * and all of `rights`; else NULL with *err = -ENOCAP / -EPERM / -EINVAL (wrong type). */
struct kobj *kobj_lookup(struct thread *self, uint64_t idx, unsigned type, unsigned rights,
                         int *err);

static inline uint64_t kmsg_op(const struct kobj_msg *m) { return m->words ? m->mr[0] : ~0ull; }
/* Whether the message carries MR1..MRn (n arguments after the opcode). */
static inline bool kmsg_has(const struct kobj_msg *m, unsigned n) { return m->words >= n + 1; }

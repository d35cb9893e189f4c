/* SPDX-License-Identifier: MIT */
/* Ipc_gate: an IPC endpoint bound to a server thread, with a label the server sees on every
 * message that came through it (so it knows which client object was invoked). */
#pragma once
#include <stdint.h>
#include <keel/kobj.h>

struct ipc_gate {
    struct kobj obj;
    struct thread *thread;   /* bound server (no reference: unbound when it dies) */
    struct list bound_link;  /* in thread->gates */
    uint64_t label;
};

struct ipc_gate *ipc_gate_create(struct quota *q, int *err);
void ipc_gate_bind(struct ipc_gate *g, struct thread *t, uint64_t label);
void ipc_gate_unbind(struct ipc_gate *g);

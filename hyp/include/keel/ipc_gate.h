/* SPDX-License-Identifier: MIT */
/* Ipc_gate: an IPC endpoint bound to a server thread, with a label the server sees on every
 * message that came through it (so it knows which client object was invoked). */
#pragma once
#include <stdint.h>
#include <keel/kobj.h>
#include <keel/thread.h>

struct ipc_gate {
    struct kobj obj;
    struct kobj_link bound;  /* the server thread; cut (unbound) when it dies */
    uint64_t label;
};

struct ipc_gate *ipc_gate_create(struct quota *q, int *err);
/* The thread g is bound to, or NULL. */
static inline struct thread *ipc_gate_thread(const struct ipc_gate *g)
{
    return g->bound.to ? container_of(g->bound.to, struct thread, obj) : NULL;
}
/* Binds g to t (unbinding it first). Returns 0, or -KEEL_ENOENT when t is dead. */
int ipc_gate_bind(struct ipc_gate *g, struct thread *t, uint64_t label);
void ipc_gate_unbind(struct ipc_gate *g);

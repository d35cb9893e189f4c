/* SPDX-License-Identifier: MIT */
/*
 * Synchronous IPC between threads. A message is the sender's message registers (words, then typed
 * items) copied into the receiver's UTCB; typed items map or grant memory or capabilities into
 * the receive windows the receiver named in its buffer registers. A call is a send followed by a
 * closed receive from the callee, atomically; the callee answers through its implicit reply
 * capability (thread.reply_to). Timeouts are in microseconds (KEEL_TIMEOUT_ZERO / _NEVER).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct thread;
struct irq;
struct task;

/* Sends to dst; with call, then waits for dst's reply under rcv_timeout. Returns 0 or -err;
 * for a call the reply's tag and label are in self->rcv_tag / rcv_label. */
int ipc_send(struct thread *self, struct thread *dst, uint64_t tag, uint64_t label,
             uint32_t snd_timeout, bool call, uint32_t rcv_timeout);
/* Receives: from anyone (from == NULL, irq == NULL: open wait), or only from thread `from`, or
 * only the Irq `irq`. The message lands in self's UTCB; tag and label in rcv_tag / rcv_label. */
int ipc_receive(struct thread *self, struct thread *from, struct irq *irq, uint32_t timeout);
/* Answers the thread whose call self received last. Never blocks. */
int ipc_reply(struct thread *self, uint64_t tag);
/* Ends t's IPC wait (if any) with err: timeout, cancel, partner gone (its partner link cut). */
void ipc_abort(struct thread *t, int err);
/* An Irq attached to t fired: deliver now if t waits for it, else keep it pending. */
void ipc_notify_irq(struct thread *t, struct irq *irq);
/* The fast path (ipc_fast.c) of the invoke system call of self, which has a UTCB (arguments as in
 * uapi/keel/syscall.h): a call through an Ipc_gate, or a reply-and-wait. Returns, having changed
 * nothing, when the general path must do it; when it did it, it does not return: self leaves the
 * kernel with the result once its partner answers. */
void ipc_fast(struct thread *self, uint64_t tag, uint64_t sel, uint64_t timeouts);
/* Maps or grants the flexpage fp of src into dst's window (memory or capabilities), placing it
 * by hotspot as L4 does. Returns 0 or -err. preemptible (Task MAP, not an IPC item): a large
 * memory flexpage is mapped in steps with preemption points between them (sched_preempt); it
 * stops with ECANCELED when either task or the caller dies meanwhile. */
int ipc_map_fpage(struct task *src, uint64_t fp, struct task *dst, uint64_t window,
                  uint64_t hotspot, bool grant, bool preemptible);

/* SPDX-License-Identifier: MIT */
/*
 * The one system call: invoke a capability. Registers (arm64 x0-x3 with `svc #0`, riscv64 a0-a3
 * with `ecall`):
 *   r0  in: message tag (keel_tag)                 out: tag of the received message / reply
 *   r1  in: capability index << KEEL_CAP_SHIFT | operation flags (KEEL_OP_*)
 *   r2  in: timeouts: send in bits 0-31, receive in bits 32-63 (KEEL_TIMEOUT_*, else microseconds)
 *   r3                                             out: label of the received message's gate or Irq
 * Message words travel in the UTCB (keel/utcb.h). Calls to kernel objects and to user servers
 * behind an Ipc_gate look the same; kernel objects expect label KEEL_PROTO_KOBJ and an opcode in
 * MR0 and answer with a label >= 0 (result) or < 0 (-keel_err).
 */
#pragma once
#include <stdint.h>

#define KEEL_CAP_SHIFT 8

enum keel_op {
    KEEL_OP_SEND = 1u << 0,  /* send to the capability (or the reply partner with REPLY) */
    KEEL_OP_RECV = 1u << 1,  /* then receive: closed from the capability's partner, or open */
    KEEL_OP_OPEN = 1u << 2,  /* the receive is an open wait (any sender, attached Irqs) */
    KEEL_OP_REPLY = 1u << 3, /* the send goes to the implicit reply partner of the last call */
};

#define KEEL_OP_CALL (KEEL_OP_SEND | KEEL_OP_RECV)
#define KEEL_OP_WAIT (KEEL_OP_RECV | KEEL_OP_OPEN)
#define KEEL_OP_REPLY_WAIT (KEEL_OP_REPLY | KEEL_OP_SEND | KEEL_OP_RECV | KEEL_OP_OPEN)

#define KEEL_TIMEOUT_ZERO 0u           /* do not wait */
#define KEEL_TIMEOUT_NEVER 0xffffffffu /* wait without limit */
#define KEEL_TIMEOUTS(snd, rcv) ((uint64_t)(snd) | ((uint64_t)(rcv) << 32))

/* Message tag: words (untyped MRs), items (typed items of two MRs each, after the words),
 * flags, and a signed 48-bit label (protocol or result). */
#define KEEL_TAG_WORDS_MASK 0x7fu
#define KEEL_TAG_ITEMS_SHIFT 7
#define KEEL_TAG_ITEMS_MASK 0x1fu
#define KEEL_TAG_ERROR (1u << 15) /* set by the kernel: the IPC failed, code in the UTCB */
#define KEEL_TAG_LABEL_SHIFT 16

static inline uint64_t keel_tag(int64_t label, unsigned words, unsigned items)
{
    return ((uint64_t)label << KEEL_TAG_LABEL_SHIFT) | (words & KEEL_TAG_WORDS_MASK) |
           ((uint64_t)(items & KEEL_TAG_ITEMS_MASK) << KEEL_TAG_ITEMS_SHIFT);
}
static inline unsigned keel_tag_words(uint64_t t) { return t & KEEL_TAG_WORDS_MASK; }
static inline unsigned keel_tag_items(uint64_t t)
{
    return (t >> KEEL_TAG_ITEMS_SHIFT) & KEEL_TAG_ITEMS_MASK;
}
static inline int64_t keel_tag_label(uint64_t t) { return (int64_t)t >> KEEL_TAG_LABEL_SHIFT; }
static inline int keel_tag_is_error(uint64_t t) { return (t & KEEL_TAG_ERROR) != 0; }

/* The label of every kernel-object protocol message (opcode in MR0). */
#define KEEL_PROTO_KOBJ (-0x4b45)
/* Labels of messages the kernel sends on a thread's behalf. */
#define KEEL_PROTO_PAGE_FAULT (-0x4b46) /* MR0 address, MR1 access (KEEL_PF_*), MR2 pc */
#define KEEL_PROTO_EXCEPTION (-0x4b47)  /* MR0 cause, MR1 pc, MR2 sp, MR3 detail */

enum keel_pf_access {
    KEEL_PF_READ = 1,
    KEEL_PF_WRITE = 2,
    KEEL_PF_EXEC = 4,
};

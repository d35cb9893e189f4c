/* SPDX-License-Identifier: MIT */
/*
 * A split virtqueue, device side (virtio 1.2 §2.7). The driver (the guest) owns three areas in
 * its RAM; the device reads the first two and writes the third:
 *
 *   descriptor table  num × {addr, len, flags, next}           16-byte aligned
 *   available ring    flags, idx, ring[num], used_event         2-byte aligned   driver → device
 *   used ring         flags, idx, ring[num] {id, len}, avail_event  4-aligned   device → driver
 *
 * Everything in those areas is guest-controlled and may change while the device reads it, so:
 * the areas are checked against guest RAM once, when the driver enables the queue; each
 * descriptor is loaded once into a local copy and checked (index < table size, buffer inside
 * RAM, readable buffers before writable ones); a chain may not have more descriptors than the
 * table, which also ends loops, nor more than 4 GiB in all; the available index may not run more
 * than `num` ahead of the device. The device's own indexes (last_avail, used_idx) are kept here,
 * never re-read from the guest. A rule broken by the driver logs one line and marks the queue
 * broken: it is not used again until the device is reset (the transport then sets
 * DEVICE_NEEDS_RESET).
 *
 * A popped chain is a list of segments, VMM pointers into guest RAM: seg[0..nr) device-readable,
 * seg[nr..nr+nw) device-writable. It stays valid until the next virtq_pop() on the same queue.
 */
#pragma once
#include <virtio/env.h>
#include <virtio/uapi.h>

#define VIRTQ_MAX_SIZE 256             /* QueueNumMax of every queue */
#define VIRTQ_MAX_SEGS VIRTQ_MAX_SIZE  /* buffers in one chain, indirect ones included */

struct virtq_seg {
    uint8_t *ptr;
    uint32_t len;
};

struct virtq_chain {
    uint16_t head;        /* the chain's first descriptor: what the used ring gives back */
    unsigned nr, nw;      /* readable and writable segments */
    uint64_t rlen, wlen;  /* bytes in each part */
    const struct virtq_seg *seg;
};

struct virtq {
    struct virtio_env *env;
    uint16_t index;               /* the queue's number, for log lines */
    /* Set by the driver through the transport's registers. */
    uint16_t num;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* State of the device side. */
    bool ready;                   /* enabled, areas checked and mapped */
    bool broken;                  /* the driver broke a rule; unused until reset */
    bool event_idx, indirect;     /* VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC */
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    uint16_t last_avail;          /* free-running index of the next available entry to take */
    uint16_t used_idx;            /* free-running used index the device has published */
    uint16_t signalled_used;      /* used_idx at the last interrupt decision */
    struct virtq_seg segs[VIRTQ_MAX_SEGS];
};

/* Prepares queue `index` of a device (state as after a reset). */
void virtq_init(struct virtq *q, struct virtio_env *env, uint16_t index);
/* Back to the state after virtq_init(): not ready, not broken, size VIRTQ_MAX_SIZE. */
void virtq_reset(struct virtq *q);
/* True for a queue size the device accepts: a power of two, 1 to VIRTQ_MAX_SIZE. */
bool virtq_size_ok(uint64_t num);
/*
 * QueueReady = 1: checks the size and the three areas (alignment, inside guest RAM) and maps
 * them. False, with the queue broken and one line logged, if any check fails.
 */
bool virtq_enable(struct virtq *q, bool event_idx, bool indirect);
/*
 * Takes the next available chain into *c. False when there is none, or the queue is (or just
 * became) broken. With EVENT_IDX, an empty queue asks the driver to notify for the next chain.
 */
bool virtq_pop(struct virtq *q, struct virtq_chain *c);
/* Returns chain c to the driver with `written` bytes written into its writable part. */
void virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t written);
/*
 * After one or more virtq_push(): whether the driver wants an interrupt for them (the
 * avail ring's NO_INTERRUPT flag, or used_event with EVENT_IDX).
 */
bool virtq_need_interrupt(struct virtq *q);
/* The driver broke a rule on this queue: logs one line, and the queue stays unused until reset. */
void virtq_fail(struct virtq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies up to n bytes from the chain's readable part, from byte `off` on; returns the count. */
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t n);
/* Copies up to n bytes into the chain's writable part, from byte `off` on; returns the count. */
size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t n);

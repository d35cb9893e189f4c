/* SPDX-License-Identifier: MIT */
/*
 * A driver's side of virtio 1.x over virtio-mmio (version 2) for user-level driver programs
 * (user/blkdrv, user/netsw, user/devtest): device reset and feature negotiation (virtio 1.2
 * §3.1.1, §4.2.3), split virtqueues in the program's DMA memory (keel,dma: physical addresses
 * known), posting buffers, notifying, taking used entries, and the device's interrupt.
 *
 * A queue takes three pages of DMA memory (descriptors, available ring, used ring: one page each,
 * so a queue holds at most 256 entries) at a virtual address and its physical address. The
 * device is trusted (it masters the bus anyway: docs/devices.md), but an id it puts in the used
 * ring is still checked against the queue's size before a driver uses it.
 *
 * Needs <virtio/uapi.h> (KEEL_VIRTIO_INCLUDES).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <virtio/uapi.h>

#define VMMIO_QUEUE_PAGES 3u
#define VMMIO_QUEUE_MAX 256u

struct vmmio_dev {
    uintptr_t regs; /* the transport's registers (env->devices[i].va) */
    uint64_t irq;   /* its Irq (env->devices[i].irq), attached by the program */
};

struct vmmio_queue {
    uint16_t index, size;
    struct vring_desc *desc;
    struct vring_avail *avail;
    volatile struct vring_used *used;
    uint16_t avail_idx; /* entries made available so far */
    uint16_t used_idx;  /* used entries taken so far */
};

uint32_t vmmio_rd(const struct vmmio_dev *d, uint32_t off);
void vmmio_wr(const struct vmmio_dev *d, uint32_t off, uint32_t v);
/* Orders the CPU's memory writes (rings) before its next device access, and the device's answer
 * before what the CPU reads after. */
void vmmio_barrier(void);

/* Resets the device (status 0: DMA a previous run started stops) and checks it is a virtio-mmio
 * version 2 transport of device_id. NULL, or what is wrong. */
const char *vmmio_reset(const struct vmmio_dev *d, uint32_t device_id);
/* ACKNOWLEDGE, DRIVER, then features: VERSION_1 (required) and those of want (bits 0..31) the
 * device offers, FEATURES_OK checked. *got: the features of want taken. NULL, or what is wrong. */
const char *vmmio_negotiate(const struct vmmio_dev *d, uint32_t want, uint32_t *got);
/* Queue index with size entries (a power of two, at most VMMIO_QUEUE_MAX and the device's
 * maximum) in the three pages at va (physical pa), zeroed. NULL, or what is wrong. */
const char *vmmio_queue_setup(const struct vmmio_dev *d, struct vmmio_queue *q, uint16_t index,
                              uint16_t size, void *va, uint64_t pa);
/* DRIVER_OK: the device may use its queues. */
void vmmio_driver_ok(const struct vmmio_dev *d);

/* Makes the chain starting at descriptor head available (the descriptors written before). */
void vmmio_post(struct vmmio_queue *q, uint16_t head);
/* Tells the device the queue has new entries. */
void vmmio_notify(const struct vmmio_dev *d, const struct vmmio_queue *q);
/* The next used entry, if the device put one: its head id (checked: below the queue's size) and
 * the bytes it wrote. false when there is none; *id = UINT32_MAX for an id out of range (taken,
 * to be ignored). */
bool vmmio_used_next(struct vmmio_queue *q, uint32_t *id, uint32_t *len);
/* Takes the device's interrupt: status acknowledged at the device, the Irq unmasked again. */
void vmmio_irq_taken(const struct vmmio_dev *d);
/* Waits on the device's Irq (closed receive, timeout_us) until every entry made available is used.
 * false when the device did not answer in time. */
bool vmmio_wait_used(const struct vmmio_dev *d, const struct vmmio_queue *q, uint32_t timeout_us);

/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2): the register window a device shows
 * the guest, the status and feature negotiation, queue setup, interrupts, and the device's
 * configuration space at 0x100.
 *
 * A device model embeds a struct virtio_mmio (its transport) and its queues, sets the transport
 * up with virtio_mmio_init(), then fills device_features and config (see dev_rng.c, the
 * smallest). The VMM routes every guest access in the device's 0x200-byte window to
 * virtio_mmio_access(). The transport calls the device back through its const ops table when
 * the driver notifies a queue, resets the device, or writes its configuration.
 *
 * Guest mistakes: an access the transport does not know (offset, width) returns false and the
 * VMM reports it; a rule the driver breaks (bad queue size or ring address, a bad chain found by
 * the rings, ...) logs one line, sets DEVICE_NEEDS_RESET (status 0x40) with a configuration-
 * change interrupt, and the queue concerned stays unused until the driver resets the device.
 */
#pragma once
#include <virtio/env.h>
#include <virtio/virtq.h>

#define VIRTIO_MMIO_WINDOW 0x200        /* bytes of MMIO space per device */
#define VIRTIO_MMIO_MAGIC 0x74726976u   /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4c45454bu  /* "KEEL" */

struct virtio_mmio;

struct virtio_mmio_ops {
    const char *name;   /* prefix of log lines, e.g. "virtio-blk" */
    uint32_t device_id; /* VIRTIO_ID_* */
    /* The driver notified queue q (ready and not broken, DRIVER_OK set). Required. */
    void (*queue_notify)(struct virtio_mmio *t, struct virtq *q);
    /* The driver reset the device; the transport and the queues are reset already. May be NULL. */
    void (*reset)(struct virtio_mmio *t);
    /* A driver write to the configuration space (in bounds); false if not writable. May be NULL. */
    bool (*config_write)(struct virtio_mmio *t, uint32_t offset, unsigned width, uint64_t value);
};

struct virtio_mmio {
    struct virtio_env env;
    const struct virtio_mmio_ops *ops;
    struct virtq *queues;
    unsigned num_queues;
    uint64_t device_features;  /* set by the device model after virtio_mmio_init() */
    uint8_t *config;           /* the configuration space as the guest sees it (little-endian) */
    uint32_t config_size;
    /* Registers. */
    uint64_t driver_features;
    uint32_t status;
    uint32_t device_features_sel, driver_features_sel, queue_sel, shm_sel;
    uint32_t interrupt_status;
    uint32_t config_generation;
};

/*
 * Sets up the transport of a device with `num_queues` queues (queues[] belongs to the device).
 * Offers VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX and VIRTIO_RING_F_INDIRECT_DESC; the device
 * model ORs its own features into device_features and points config/config_size at its
 * configuration space.
 */
void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_host *host,
                      const struct virtio_mmio_ops *ops, struct virtq *queues, unsigned num_queues);

/*
 * One guest access at `offset` (< VIRTIO_MMIO_WINDOW) of the device's window, `width` 1, 2, 4 or
 * 8 bytes; a read fills *value. Returns false for an access the transport rejects (unknown
 * offset, a width other than 4 on a register, outside the configuration space, a read-only
 * register written): the VMM reports it, a read then gives 0.
 */
bool virtio_mmio_access(struct virtio_mmio *t, uint64_t offset, unsigned width, bool write,
                        uint64_t *value);

/* For device models: */
/* Whether the driver accepted feature `bit` (meaningful once FEATURES_OK is set). */
bool virtio_mmio_has(const struct virtio_mmio *t, unsigned bit);
/* Queue `index` if the device may use it now (DRIVER_OK, queue ready and not broken), or NULL. */
struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned index);
/*
 * Call after using queue q (popping, pushing): a queue the driver broke makes the device need a
 * reset; used buffers the driver wants to hear about raise the used-buffer interrupt.
 */
void virtio_mmio_queue_done(struct virtio_mmio *t, struct virtq *q);
/* The device changed its configuration space: new generation, configuration-change interrupt. */
void virtio_mmio_config_changed(struct virtio_mmio *t);
/* The driver broke a rule of the transport: one log line, DEVICE_NEEDS_RESET. */
void virtio_mmio_fail(struct virtio_mmio *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* SPDX-License-Identifier: MIT */
/*
 * A virtio device as both transports see it (virtio 1.2 §2-§3): its status and feature
 * negotiation, its queues, its configuration space and the interrupt status (ISR) bits. The
 * device models (dev_*.c) embed a struct virtio_device and know nothing of the transport; a
 * transport (mmio.c: virtio-mmio; pci.c: virtio-pci) decodes the driver's registers into the
 * calls below and delivers the device's notifications its own way.
 *
 *   VMM ─ struct virtio_host ─► transport (mmio.c | pci.c) ─► device (device.c) ─► model (dev_*.c)
 *                                                                 └─► rings (virtq.c)
 *
 * Status machine as the device enforces it (§2.1, §3.1):
 *   0 ─► ACKNOWLEDGE ─► DRIVER ─► FEATURES_OK ─► DRIVER_OK        writing 0 resets, from any state
 * The driver only adds bits. FEATURES_OK sticks only when the driver's features are a subset of
 * the device's and include VERSION_1 (the driver reads the status back to learn the answer);
 * DRIVER_OK needs FEATURES_OK. DEVICE_NEEDS_RESET belongs to the device: the driver can neither
 * set nor clear it, except by the reset. Queues are used only while DRIVER_OK is set.
 *
 * Guest mistakes: a rule the driver breaks (bad queue size or ring address, a bad chain found by
 * the rings, ...) logs one line, sets DEVICE_NEEDS_RESET with a configuration-change
 * notification, and the queue concerned stays unused until the driver resets the device.
 */
#pragma once
#include <virtio/env.h>
#include <virtio/virtq.h>

/* The interrupt status bits (virtio-mmio InterruptStatus, virtio-pci ISR). */
#define VIRTIO_ISR_QUEUE 1u
#define VIRTIO_ISR_CONFIG 2u

struct virtio_device;

struct virtio_device_ops {
    const char *name;   /* prefix of log lines, e.g. "virtio-blk" */
    uint32_t device_id; /* VIRTIO_ID_* */
    /* The driver notified queue q (ready and not broken, DRIVER_OK set). Required. */
    void (*queue_notify)(struct virtio_device *d, struct virtq *q);
    /* The driver reset the device; the queues are reset already. May be NULL. */
    void (*reset)(struct virtio_device *d);
    /* A driver write to the configuration space (in bounds); false if not writable. May be NULL. */
    bool (*config_write)(struct virtio_device *d, uint32_t offset, unsigned width, uint64_t value);
};

/* How the transport the device is attached to notifies the driver. */
struct virtio_transport_ops {
    /* isr: VIRTIO_ISR_QUEUE (used buffers of queue q) or VIRTIO_ISR_CONFIG (q NULL). */
    void (*notify)(void *transport, uint32_t isr, const struct virtq *q);
    /* The device was reset (by the driver): the transport resets its own registers. */
    void (*reset)(void *transport);
};

struct virtio_device {
    struct virtio_env env;
    const struct virtio_device_ops *ops;
    const struct virtio_transport_ops *transport; /* set by the transport's init */
    void *transport_ctx;
    struct virtq *queues;
    unsigned num_queues;
    uint64_t device_features; /* set by the device model after virtio_device_init() */
    uint8_t *config;          /* the configuration space as the guest sees it (little-endian) */
    uint32_t config_size;
    /* What the driver changes. */
    uint64_t driver_features;
    uint32_t status;
    uint32_t isr; /* VIRTIO_ISR_* raised and not yet acknowledged */
    uint32_t config_generation;
};

/*
 * Sets up a device with `num_queues` queues (queues[] belongs to the device model). Offers
 * VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX and VIRTIO_RING_F_INDIRECT_DESC; the model ORs its
 * own features into device_features and points config/config_size at its configuration space.
 */
void virtio_device_init(struct virtio_device *d, const struct virtio_host *host,
                        const struct virtio_device_ops *ops, struct virtq *queues,
                        unsigned num_queues);

/* For device models: */
/* Whether the driver accepted feature `bit` (meaningful once FEATURES_OK is set). */
bool virtio_has(const struct virtio_device *d, unsigned bit);
/* Queue `index` if the device may use it now (DRIVER_OK, queue ready and not broken), or NULL. */
struct virtq *virtio_queue(struct virtio_device *d, unsigned index);
/*
 * Call after using queue q (popping, pushing): a queue the driver broke makes the device need a
 * reset; used buffers the driver wants to hear about notify it.
 */
void virtio_queue_done(struct virtio_device *d, struct virtq *q);
/* The device changed its configuration space: new generation, configuration-change notification. */
void virtio_config_changed(struct virtio_device *d);
/* The driver broke a rule of the transport: one log line, DEVICE_NEEDS_RESET. */
void virtio_fail(struct virtio_device *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For transports (the driver's register accesses, decoded): */
/* The device status register written: the machine above (0 resets the device and transport). */
void virtio_status_write(struct virtio_device *d, uint32_t value);
/* 32 bits of the device's features, word `sel` (0 for sel > 1). */
uint32_t virtio_device_features_word(const struct virtio_device *d, uint32_t sel);
/* 32 bits of the driver's features, word `sel` (ignored for sel > 1 or after FEATURES_OK). */
void virtio_driver_features_write(struct virtio_device *d, uint32_t sel, uint32_t value);
/* The driver notified queue `index` (which may not exist). */
void virtio_notify(struct virtio_device *d, uint32_t index);
/* Whether queue q's configuration may be written now (not while ready: logged). */
bool virtio_queue_configurable(struct virtio_device *d, struct virtq *q);
/* Queue q's size written (checked: a power of 2 up to VIRTQ_MAX_SIZE). */
void virtio_queue_set_size(struct virtio_device *d, struct virtq *q, uint32_t num);
/* Queue q enabled (value 1: its areas are checked and mapped) or, value 0, stopped. */
void virtio_queue_set_ready(struct virtio_device *d, struct virtq *q, uint32_t value);
/* An access inside the configuration space (any width in bounds, little-endian); false if not. */
bool virtio_config_access(struct virtio_device *d, uint32_t offset, unsigned width, bool write,
                          uint64_t *value);

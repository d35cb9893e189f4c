/* SPDX-License-Identifier: MIT */
/*
 * Host-test helpers for virtio/: a fake guest (1 MiB of "RAM" at RAM_BASE between two poisoned
 * guard pages, the VMM callbacks that count interrupts and keep log lines) and a tiny driver
 * that speaks to a device through either transport the way Linux's drivers do, and builds split
 * rings and chains in the fake RAM.
 *
 *   test ── drv_* (generic: status, features, queues, kicks, ISR, config) ─┬─ virtio-mmio window
 *                                                                          └─ virtio-pci: the
 *          capabilities walked in configuration space, then the structures in BAR DRV_PCI_BAR
 *
 * virtio-mmio is as Linux's virtio_mmio driver; virtio-pci as its virtio_pci_modern driver: it
 * finds the common, notify, ISR and device structures by walking the vendor capabilities, then
 * uses each field at its natural width (a 64-bit address as two 32-bit halves), notifies at
 * queue_notify_off × notify_off_multiplier, and with MSI-X takes vector 0 for configuration
 * changes and vector i + 1 for queue i. Interrupts count the same on both (fake_guest.irqs), so
 * a device test means the same over either transport.
 */
#pragma once
#include <virtio/mmio.h>
#include <virtio/pci.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1u << 20)
#define GUARD_SIZE 4096u
#define DRV_MSIX_MAX 16u      /* entries of the fake PCI function's MSI-X table, at most */
#define DRV_PCI_BAR 4         /* where drv_init_pci() puts the structures */
#define DRV_PCI_CAP_BASE 0x40 /* and the capabilities */

struct fake_guest {
    uint8_t *block;          /* guard, RAM, guard */
    uint8_t *ram;
    /* Interrupts the driver got: notify_irq() calls (virtio-mmio); MSI-X messages sent and INTx
     * rising edges (virtio-pci). */
    unsigned irqs;
    unsigned logs;           /* log() calls */
    char last_log[256];
    /*
     * The PCI function's side: MSI-X enabled (notify_msix() sends) or not (it declines: INTx),
     * its table's size (up to DRV_MSIX_MAX; NO_VECTOR and beyond send nothing), the messages
     * per vector, and the INTx level set_intx() last gave.
     */
    bool msix_enabled;
    unsigned msix_vectors;
    unsigned msix[DRV_MSIX_MAX];
    bool intx;
    bool dma_off;            /* dma_allowed() says no (virtio-pci: bus mastering off) */
    struct virtio_host host; /* the callbacks, ctx = this guest */
};

/* Checks failed inside the helpers (a test CHECKs that it is 0 at the end). */
extern unsigned drv_failures;

void guest_init(struct fake_guest *g);
/* True if nothing touched the guard pages; frees the guest. */
bool guest_fini(struct fake_guest *g);
/* The test's pointer to guest-physical gpa (must be RAM). */
void *gptr(struct fake_guest *g, uint64_t gpa);
/* Whether the last log line contains s. */
bool guest_logged(const struct fake_guest *g, const char *s);

struct drv_queue {
    uint16_t num;
    uint64_t desc, avail, used;  /* guest-physical */
    uint16_t avail_idx;          /* driver's next available index */
    uint16_t used_seen;          /* driver's next used index to read */
    uint16_t next_desc;          /* next descriptor to hand out (round robin) */
    uint16_t notify_off;         /* virtio-pci: queue_notify_off, read at setup */
};

enum drv_transport { DRV_MMIO, DRV_PCI, DRV_TRANSPORTS };

/* A virtio-pci capability as the driver found it (pos 0: not found). */
struct drv_pci_cap {
    unsigned pos; /* in configuration space */
    uint8_t bar;
    uint32_t offset, length;
};

struct drv {
    struct fake_guest *g;
    struct virtio_device *dev;
    enum drv_transport transport;
    struct virtio_mmio mmio; /* the transport the driver speaks (DRV_MMIO) */
    struct virtio_mmio *t;   /* = &mmio */
    struct virtio_pci pci;   /* or this one (DRV_PCI) */
    /* virtio-pci: the capabilities by cfg_type, and notify_off_multiplier. */
    struct drv_pci_cap cap[VIRTIO_PCI_CAP_PCI_CFG + 1];
    uint32_t notify_mult;
    struct drv_queue q[4];
    uint64_t heap;               /* next free guest-physical byte */
};

struct drv_buf {
    uint64_t gpa;
    uint32_t len;
    bool write;                  /* device-writable */
};

/* Attaches a virtio-mmio transport to device dev (set up already). */
void drv_init(struct drv *d, struct fake_guest *g, struct virtio_device *dev);
/*
 * Attaches a virtio-pci transport (structures in BAR DRV_PCI_BAR, capabilities from
 * DRV_PCI_CAP_BASE, the list ending there, num_queues + 1 MSI-X vectors, MSI-X enabled) and
 * finds the structures as Linux does.
 */
void drv_init_pci(struct drv *d, struct fake_guest *g, struct virtio_device *dev);
/* drv_init() or drv_init_pci(). */
void drv_attach(struct drv *d, struct fake_guest *g, struct virtio_device *dev,
                enum drv_transport transport);
/* "mmio" or "pci". */
const char *drv_transport_name(enum drv_transport transport);

/* Generic operations (either transport); each CHECKs that the transport accepts its accesses. */
uint32_t drv_status(struct drv *d);
void drv_set_status(struct drv *d, uint32_t status);
/* The device id (virtio-pci: from the PCI device id, 0x1040 + id). */
uint32_t drv_device_id(struct drv *d);
/* 32 bits of the device's features, word sel. */
uint32_t drv_device_features(struct drv *d, uint32_t sel);
uint32_t drv_config_generation(struct drv *d);
/* Reads and acknowledges the interrupt status (virtio-mmio: InterruptStatus, then InterruptACK
 * of the bits read; virtio-pci: the ISR read, which clears it). */
uint32_t drv_isr(struct drv *d);
/* An access of width bytes at offset off of the configuration space; the transport's answer. */
bool drv_config(struct drv *d, uint32_t off, unsigned width, bool write, uint64_t *value);
/* Whether queue i is enabled (QueueReady, queue_enable). */
bool drv_queue_ready(struct drv *d, unsigned i);
/* Guest memory from a bump allocator (zeroed). */
uint64_t drv_alloc(struct drv *d, uint64_t size, uint64_t align);
/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (virtio-pci then the configuration vector
 * 0); returns whether FEATURES_OK stuck. */
bool drv_negotiate(struct drv *d, uint64_t features);
/* Allocates queue i's rings (num entries), programs them (virtio-pci: and MSI-X vector i + 1)
 * and enables the queue. */
void drv_queue(struct drv *d, unsigned i, uint16_t num);
/* negotiate + all queues (num each) + DRIVER_OK; CHECKs that each step worked. */
void drv_start(struct drv *d, uint64_t features, unsigned queues, uint16_t num);
/* Makes a chain of n buffers available on queue qi (no notification); returns its head. */
uint16_t drv_add(struct drv *d, unsigned qi, const struct drv_buf *b, unsigned n);
/* Notifies queue qi (QueueNotify; virtio-pci: a 16-bit write at its notify address). */
void drv_kick(struct drv *d, unsigned qi);
/* Takes the next used element of queue qi; false if none. */
bool drv_used(struct drv *d, unsigned qi, uint32_t *id, uint32_t *len);
/* The test's pointers into queue qi's rings. */
struct vring_desc *drv_desc(struct drv *d, unsigned qi, unsigned i);
struct vring_avail *drv_avail(struct drv *d, unsigned qi);
struct vring_used *drv_used_ring(struct drv *d, unsigned qi);

/* virtio-mmio only: a 32-bit register access; CHECKs that the transport accepts it. */
uint32_t drv_rd(struct drv *d, uint32_t offset);
void drv_wr(struct drv *d, uint32_t offset, uint32_t value);

/* virtio-pci only; each CHECKs that the transport accepts the access. */
/* A configuration-space read at pos (inside the transport's capabilities). */
uint64_t drv_cfg_rd(struct drv *d, unsigned pos, unsigned width);
/* An access to the BAR at off. */
uint64_t drv_bar_rd(struct drv *d, uint64_t off, unsigned width);
void drv_bar_wr(struct drv *d, uint64_t off, unsigned width, uint64_t value);
/* A field of the common configuration (VIRTIO_PCI_COMMON_*), at its offset in the BAR. */
uint64_t drv_common_rd(struct drv *d, uint32_t field, unsigned width);
void drv_common_wr(struct drv *d, uint32_t field, unsigned width, uint64_t value);

/*
 * A device of no particular kind for the transport tests (id 42, two queues, feature bit 3, an
 * 8-byte configuration space 11 22 .. 88 whose byte 0 is writable by 1-byte writes), counting
 * its notifications and resets.
 */
struct test_dev {
    struct virtio_device dev;
    struct virtq queues[2];
    uint8_t config[8];
    unsigned notified[2], resets;
};

/* guest_init(g), then the test device set up on it (no transport attached). */
void test_dev_setup(struct test_dev *dev, struct fake_guest *g);

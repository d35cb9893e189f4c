/* SPDX-License-Identifier: MIT */
/*
 * Host-test helpers for virtio/: a fake guest (1 MiB of "RAM" at RAM_BASE between two poisoned
 * guard pages, the VMM callbacks that count interrupts and keep log lines) and a tiny
 * driver that speaks to a device through its MMIO window the way Linux's virtio-mmio driver
 * does, and builds split rings and chains in the fake RAM.
 */
#pragma once
#include <virtio/mmio.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1u << 20)
#define GUARD_SIZE 4096u

struct fake_guest {
    uint8_t *block;          /* guard, RAM, guard */
    uint8_t *ram;
    unsigned irqs;           /* notify_irq() calls */
    unsigned logs;           /* log() calls */
    char last_log[256];
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
};

struct drv {
    struct fake_guest *g;
    struct virtio_mmio *t;
    struct drv_queue q[4];
    uint64_t heap;               /* next free guest-physical byte */
};

struct drv_buf {
    uint64_t gpa;
    uint32_t len;
    bool write;                  /* device-writable */
};

void drv_init(struct drv *d, struct fake_guest *g, struct virtio_mmio *t);
/* A 32-bit register access; CHECKs that the transport accepts it. */
uint32_t drv_rd(struct drv *d, uint32_t offset);
void drv_wr(struct drv *d, uint32_t offset, uint32_t value);
/* Guest memory from a bump allocator (zeroed). */
uint64_t drv_alloc(struct drv *d, uint64_t size, uint64_t align);
/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns whether FEATURES_OK stuck. */
bool drv_negotiate(struct drv *d, uint64_t features);
/* Allocates queue i's rings (num entries), programs them and sets QueueReady. */
void drv_queue(struct drv *d, unsigned i, uint16_t num);
/* negotiate + all queues (num each) + DRIVER_OK; CHECKs that each step worked. */
void drv_start(struct drv *d, uint64_t features, unsigned queues, uint16_t num);
/* Makes a chain of n buffers available on queue qi (no notification); returns its head. */
uint16_t drv_add(struct drv *d, unsigned qi, const struct drv_buf *b, unsigned n);
/* Writes queue qi's index to QueueNotify. */
void drv_kick(struct drv *d, unsigned qi);
/* Takes the next used element of queue qi; false if none. */
bool drv_used(struct drv *d, unsigned qi, uint32_t *id, uint32_t *len);
/* The test's pointers into queue qi's rings. */
struct vring_desc *drv_desc(struct drv *d, unsigned qi, unsigned i);
struct vring_avail *drv_avail(struct drv *d, unsigned qi);
struct vring_used *drv_used_ring(struct drv *d, unsigned qi);
/* Reads the device's status register. */
uint32_t drv_status(struct drv *d);

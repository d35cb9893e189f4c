/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (virtio 1.2 §5.4): one queue of device-writable buffers the device fills with
 * random bytes from the backend.
 */
#pragma once
#include <virtio/device.h>

#define VIRTIO_RNG_MAX_REQUEST 65536 /* bytes filled per request at most */

struct virtio_rng_backend {
    void *ctx;
    /* Fills buf with n random bytes. */
    void (*fill)(void *ctx, void *buf, size_t n);
};

struct virtio_rng {
    struct virtio_device dev; /* what the VMM attaches a transport to */
    struct virtq requestq;
    struct virtio_rng_backend backend;
    uint64_t bytes;          /* bytes given to the guest */
};

void virtio_rng_init(struct virtio_rng *d, const struct virtio_host *host,
                     const struct virtio_rng_backend *backend);

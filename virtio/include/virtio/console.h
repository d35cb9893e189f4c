/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2 §5.3), one port, no MULTIPORT: queue 0 (receiveq) carries input to
 * the guest, queue 1 (transmitq) output from it.
 */
#pragma once
#include <virtio/device.h>

#define VIRTIO_CONSOLE_MAX_TX 65536 /* bytes passed on per transmit chain; the rest is dropped */

struct virtio_console_backend {
    void *ctx;
    /* Output from the guest. */
    void (*write)(void *ctx, const char *buf, size_t n);
    /*
     * The guest gave new receive buffers (it notified the receiveq). May be NULL. Called inside
     * the transport; it may call virtio_console_input() right away.
     */
    void (*input_ready)(void *ctx);
};

struct virtio_console {
    struct virtio_device dev; /* what the VMM attaches a transport to */
    struct virtq queues[2];  /* receiveq, transmitq */
    struct virtio_console_backend backend;
    struct virtio_console_config config;
    uint64_t tx_bytes, tx_dropped, rx_bytes;
};

void virtio_console_init(struct virtio_console *d, const struct virtio_host *host,
                         const struct virtio_console_backend *backend);
/*
 * Puts up to n bytes of input into the receive buffers the guest gave, and interrupts the guest
 * if it wants to hear of them. Returns how many bytes were taken (0 when the driver is not
 * ready or gave no buffer); the caller keeps the rest.
 */
size_t virtio_console_input(struct virtio_console *d, const char *buf, size_t n);

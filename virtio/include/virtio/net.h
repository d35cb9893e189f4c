/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2 §5.1), one queue pair, no control queue and no offloads: queue 0
 * (receiveq1) carries frames to the guest, queue 1 (transmitq1) frames from it, each behind a
 * struct virtio_net_hdr_v1 (12 bytes with VERSION_1). Features: VERSION_1, MAC, STATUS.
 */
#pragma once
#include <virtio/device.h>

/* The largest frame either way: Ethernet header, 1500 bytes of payload, a VLAN tag (no GSO). */
#define VIRTIO_NET_MAX_FRAME 1518u
#define VIRTIO_NET_HDR_SIZE 12u

struct virtio_net_backend {
    void *ctx;
    uint8_t mac[6];   /* the guest's MAC address (VIRTIO_NET_F_MAC) */
    /*
     * A frame from the guest, header stripped. NULL for a NIC cabled to nothing: the device
     * starts with no carrier (status without VIRTIO_NET_S_LINK_UP) and drops (counts in
     * tx_dropped) what the guest sends anyway.
     */
    void (*tx)(void *ctx, const void *frame, size_t len);
    /*
     * The guest gave new receive buffers (it notified the receiveq). May be NULL. Called inside
     * the transport; it may call virtio_net_rx() right away.
     */
    void (*rx_ready)(void *ctx);
};

struct virtio_net {
    struct virtio_device dev; /* what the VMM attaches a transport to */
    struct virtq queues[2];  /* receiveq1, transmitq1 */
    struct virtio_net_backend backend;
    struct virtio_net_config config;
    uint8_t frame[VIRTIO_NET_MAX_FRAME]; /* a transmitted frame, gathered from guest buffers */
    uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped;
};

void virtio_net_init(struct virtio_net *d, const struct virtio_host *host,
                     const struct virtio_net_backend *backend);
/*
 * Puts one frame (at most VIRTIO_NET_MAX_FRAME bytes) into the next receive buffer, behind a
 * zeroed header with num_buffers = 1, and interrupts the guest if it wants to hear of it. False
 * (the frame dropped and counted) when the driver is not ready, gave no buffer, or gave one too
 * small for the frame.
 */
bool virtio_net_rx(struct virtio_net *d, const void *frame, size_t len);
/* Link up or down (VIRTIO_NET_F_STATUS); the guest gets a configuration-change interrupt. */
void virtio_net_set_link(struct virtio_net *d, bool up);

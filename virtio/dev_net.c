// SPDX-License-Identifier: MIT
/*
 * virtio-net, one queue pair, no offloads. Every buffer starts with a struct virtio_net_hdr_v1.
 *
 * Transmit: a chain's device-readable bytes are the header and then the frame; the frame is
 * gathered into the device's own buffer (the guest cannot change it while the backend reads)
 * and passed on. A frame over VIRTIO_NET_MAX_FRAME is dropped and counted (we offer no GSO).
 * Receive: one frame per chain (no MRG_RXBUF), behind a zeroed header with num_buffers = 1 as
 * §5.1.6.4 asks; a chain too small for it is given back empty (Linux counts a length error).
 * A chain in the wrong direction, or a transmit chain shorter than the header, breaks its queue.
 * A device without a backend tx (a NIC cabled to nothing) has no carrier and drops what is sent.
 */
#include <virtio/net.h>
#include <string.h>

enum { RECEIVEQ = 0, TRANSMITQ = 1 };

static void net_transmit(struct virtio_net *d, struct virtq *q)
{
    struct virtq_chain c;
    while (virtq_pop(q, &c)) {
        if (c.nw != 0 || c.rlen < VIRTIO_NET_HDR_SIZE) {
            virtq_fail(q, "transmit chain %u: %s", c.head,
                       c.nw ? "device-writable buffers" : "shorter than the header");
            return;
        }
        uint64_t len = c.rlen - VIRTIO_NET_HDR_SIZE;
        if (len > VIRTIO_NET_MAX_FRAME) {
            virtio_env_log(&d->dev.env, "transmit frame of %llu bytes dropped",
                           (unsigned long long)len);
            d->tx_dropped++;
        } else if (len == 0 || !d->backend.tx) {
            d->tx_dropped++; /* a header alone, or no link: nothing to send, nowhere to */
        } else {
            virtq_chain_read(&c, VIRTIO_NET_HDR_SIZE, d->frame, len);
            d->backend.tx(d->backend.ctx, d->frame, len);
            d->tx_frames++;
        }
        virtq_push(q, &c, 0);
    }
}

static void net_notify(struct virtio_device *t, struct virtq *q)
{
    struct virtio_net *d = (struct virtio_net *)t;
    if (q->index == TRANSMITQ) {
        net_transmit(d, q);
    } else if (d->backend.rx_ready) {
        d->backend.rx_ready(d->backend.ctx);
    }
}

/* Fills chain c with the header and the frame; false if it does not fit or is not writable. */
static bool rx_fill(struct virtio_net *d, struct virtq *q, const struct virtq_chain *c,
                    const void *frame, size_t len)
{
    if (c->nr != 0) {
        virtq_fail(q, "receive chain %u has device-readable buffers", c->head);
        return false;
    }
    if (c->wlen < VIRTIO_NET_HDR_SIZE + len) {
        virtio_env_log(&d->dev.env, "receive chain %u of %llu bytes too small for a frame of %zu",
                       c->head, (unsigned long long)c->wlen, len);
        virtq_push(q, c, 0);
        return false;
    }
    struct virtio_net_hdr_v1 h = { .num_buffers = 1 };
    virtq_chain_write(c, 0, &h, sizeof(h));
    virtq_chain_write(c, VIRTIO_NET_HDR_SIZE, frame, len);
    virtq_push(q, c, (uint32_t)(VIRTIO_NET_HDR_SIZE + len));
    return true;
}

bool virtio_net_rx(struct virtio_net *d, const void *frame, size_t len)
{
    struct virtq *q = virtio_queue(&d->dev, RECEIVEQ);
    struct virtq_chain c;
    bool done = false;
    if (q != NULL && len <= VIRTIO_NET_MAX_FRAME && virtq_pop(q, &c)) {
        done = rx_fill(d, q, &c, frame, len);
    }
    if (q != NULL) {
        virtio_queue_done(&d->dev, q);
    }
    if (done) {
        d->rx_frames++;
    } else {
        d->rx_dropped++;
    }
    return done;
}

void virtio_net_set_link(struct virtio_net *d, bool up)
{
    d->config.status = up ? VIRTIO_NET_S_LINK_UP : 0;
    virtio_config_changed(&d->dev);
}

static const struct virtio_device_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .queue_notify = net_notify,
};

void virtio_net_init(struct virtio_net *d, const struct virtio_host *host,
                     const struct virtio_net_backend *backend)
{
    virtio_device_init(&d->dev, host, &net_ops, d->queues, 2);
    d->backend = *backend;
    d->tx_frames = d->tx_dropped = d->rx_frames = d->rx_dropped = 0;
    d->dev.device_features |= 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS;
    memset(&d->config, 0, sizeof(d->config));
    memcpy(d->config.mac, backend->mac, sizeof(d->config.mac));
    d->config.status = backend->tx ? VIRTIO_NET_S_LINK_UP : 0; /* no link: no carrier */
    d->config.max_virtqueue_pairs = 1;
    d->dev.config = (uint8_t *)&d->config;
    d->dev.config_size = sizeof(d->config);
}

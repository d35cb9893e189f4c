// SPDX-License-Identifier: MIT
/*
 * virtio-console with one port. Output: each transmitq chain's device-readable bytes go to the
 * backend in order (at most VIRTIO_CONSOLE_MAX_TX per chain: buffers may overlap, so a chain can
 * describe far more bytes than guest RAM holds). Input: bytes fill the receiveq's
 * device-writable chains one after the other. A chain in the wrong direction breaks its queue.
 */
#include <virtio/console.h>
#include <string.h>

enum { RECEIVEQ = 0, TRANSMITQ = 1 };

static void console_transmit(struct virtio_console *d, struct virtq *q)
{
    struct virtq_chain c;
    while (virtq_pop(q, &c)) {
        if (c.nw != 0) {
            virtq_fail(q, "transmit chain %u has device-writable buffers", c.head);
            return;
        }
        size_t sent = 0;
        for (unsigned i = 0; i < c.nr && sent < VIRTIO_CONSOLE_MAX_TX; i++) {
            size_t n = c.seg[i].len;
            if (n > VIRTIO_CONSOLE_MAX_TX - sent) {
                n = VIRTIO_CONSOLE_MAX_TX - sent;
            }
            d->backend.write(d->backend.ctx, (const char *)c.seg[i].ptr, n);
            sent += n;
        }
        d->tx_bytes += sent;
        d->tx_dropped += c.rlen - sent;
        virtq_push(q, &c, 0);
    }
}

static void console_notify(struct virtio_device *t, struct virtq *q)
{
    struct virtio_console *d = (struct virtio_console *)t;
    if (q->index == TRANSMITQ) {
        console_transmit(d, q);
    } else if (d->backend.input_ready) {
        d->backend.input_ready(d->backend.ctx);
    }
}

size_t virtio_console_input(struct virtio_console *d, const char *buf, size_t n)
{
    struct virtq *q = virtio_queue(&d->dev, RECEIVEQ);
    if (q == NULL) {
        return 0;
    }
    size_t taken = 0;
    struct virtq_chain c;
    while (taken < n && virtq_pop(q, &c)) {
        if (c.nr != 0) {
            virtq_fail(q, "receive chain %u has device-readable buffers", c.head);
            break;
        }
        size_t k = virtq_chain_write(&c, 0, buf + taken, n - taken);
        virtq_push(q, &c, (uint32_t)k);
        taken += k;
    }
    d->rx_bytes += taken;
    virtio_queue_done(&d->dev, q);
    return taken;
}

static const struct virtio_device_ops console_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .queue_notify = console_notify,
};

void virtio_console_init(struct virtio_console *d, const struct virtio_host *host,
                         const struct virtio_console_backend *backend)
{
    virtio_device_init(&d->dev, host, &console_ops, d->queues, 2);
    d->backend = *backend;
    d->tx_bytes = d->tx_dropped = d->rx_bytes = 0;
    memset(&d->config, 0, sizeof(d->config)); /* no SIZE, MULTIPORT or EMERG_WRITE: unused */
    d->dev.config = (uint8_t *)&d->config;
    d->dev.config_size = sizeof(d->config);
}

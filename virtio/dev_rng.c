// SPDX-License-Identifier: MIT
/*
 * virtio-rng: each chain the driver makes available is a set of device-writable buffers, filled
 * from the backend, up to VIRTIO_RNG_MAX_REQUEST bytes (the used length says how many; buffers
 * may overlap, so a chain can look much larger than guest RAM). A device-readable buffer breaks
 * the rules (virtio 1.2 §5.4.6.1) and the queue.
 */
#include <virtio/rng.h>

static void rng_notify(struct virtio_device *t, struct virtq *q)
{
    struct virtio_rng *d = (struct virtio_rng *)t;
    struct virtq_chain c;
    while (virtq_pop(q, &c)) {
        if (c.nr != 0) {
            virtq_fail(q, "request %u has device-readable buffers", c.head);
            return;
        }
        uint32_t done = 0;
        for (unsigned i = c.nr; i < c.nr + c.nw && done < VIRTIO_RNG_MAX_REQUEST; i++) {
            uint32_t n = c.seg[i].len;
            if (n > VIRTIO_RNG_MAX_REQUEST - done) {
                n = VIRTIO_RNG_MAX_REQUEST - done;
            }
            d->backend.fill(d->backend.ctx, c.seg[i].ptr, n);
            done += n;
        }
        d->bytes += done;
        virtq_push(q, &c, done);
    }
}

static const struct virtio_device_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .queue_notify = rng_notify,
};

void virtio_rng_init(struct virtio_rng *d, const struct virtio_host *host,
                     const struct virtio_rng_backend *backend)
{
    virtio_device_init(&d->dev, host, &rng_ops, &d->requestq, 1);
    d->backend = *backend;
    d->bytes = 0;
}

// SPDX-License-Identifier: MIT
/*
 * virtio-blk over a memory buffer. A request is one chain (virtio 1.2 §5.2.6):
 *
 *   device-readable:  struct virtio_blk_outhdr {type, ioprio, sector} [, data for OUT]
 *   device-writable:  [data for IN or GET_ID,] status byte (the last writable byte)
 *
 * A chain without room for the header or the status cannot be answered at all: the driver
 * broke the rules, and the queue with it. Everything else is answered with a status: a request
 * outside the disk, a length that is not whole sectors, or a write to a read-only disk is
 * VIRTIO_BLK_S_IOERR; an unknown type is VIRTIO_BLK_S_UNSUPP. The used length counts the bytes
 * written: data, then the status.
 */
#include <virtio/blk.h>
#include <string.h>

/* Whether [sector, + len bytes) is whole sectors inside the disk (no overflow on any input). */
static bool in_disk(const struct virtio_blk *d, uint64_t sector, uint64_t len)
{
    uint64_t sectors = d->backend.size / VIRTIO_BLK_SECTOR;
    if (len % VIRTIO_BLK_SECTOR != 0 || sector > sectors) {
        return false;
    }
    return len / VIRTIO_BLK_SECTOR <= sectors - sector;
}

/* IN: disk → the chain's writable part, before the status byte. */
static uint8_t blk_in(struct virtio_blk *d, const struct virtq_chain *c, uint64_t sector,
                      uint64_t len, uint32_t *written)
{
    if (!in_disk(d, sector, len)) {
        return VIRTIO_BLK_S_IOERR;
    }
    *written = (uint32_t)virtq_chain_write(c, 0, d->backend.data + sector * VIRTIO_BLK_SECTOR, len);
    d->reads++;
    return VIRTIO_BLK_S_OK;
}

/* OUT: the chain's readable part after the header → disk. */
static uint8_t blk_out(struct virtio_blk *d, const struct virtq_chain *c, uint64_t sector,
                       uint64_t len)
{
    if (d->backend.read_only || !in_disk(d, sector, len)) {
        return VIRTIO_BLK_S_IOERR;
    }
    virtq_chain_read(c, sizeof(struct virtio_blk_outhdr),
                     d->backend.data + sector * VIRTIO_BLK_SECTOR, len);
    d->writes++;
    return VIRTIO_BLK_S_OK;
}

/* GET_ID: 20 bytes, NUL-padded when the ID is shorter. */
static uint8_t blk_get_id(struct virtio_blk *d, const struct virtq_chain *c, uint64_t room,
                          uint32_t *written)
{
    char id[VIRTIO_BLK_ID_BYTES] = { 0 };
    const char *src = d->backend.id ? d->backend.id : "keel-virtio-blk";
    strncpy(id, src, sizeof(id));
    *written = (uint32_t)virtq_chain_write(c, 0, id, room < sizeof(id) ? room : sizeof(id));
    return VIRTIO_BLK_S_OK;
}

static void blk_request(struct virtio_blk *d, struct virtq *q, const struct virtq_chain *c)
{
    struct virtio_blk_outhdr h;
    if (c->rlen < sizeof(h) || c->wlen < 1) {
        virtq_fail(q, "request %u: no room for the header or the status", c->head);
        return;
    }
    virtq_chain_read(c, 0, &h, sizeof(h));
    uint64_t in_len = c->wlen - 1;          /* writable bytes before the status */
    uint64_t out_len = c->rlen - sizeof(h); /* readable bytes after the header */
    uint32_t written = 0;
    uint8_t status;
    switch (h.type) {
    case VIRTIO_BLK_T_IN:
        status = blk_in(d, c, h.sector, in_len, &written);
        break;
    case VIRTIO_BLK_T_OUT:
        status = blk_out(d, c, h.sector, out_len);
        break;
    case VIRTIO_BLK_T_FLUSH:
        status = VIRTIO_BLK_S_OK; /* nothing is cached: the data is in the buffer already */
        d->flushes++;
        break;
    case VIRTIO_BLK_T_GET_ID:
        status = blk_get_id(d, c, in_len, &written);
        break;
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    if (status != VIRTIO_BLK_S_OK) {
        d->errors++;
    }
    virtq_chain_write(c, in_len, &status, 1);
    virtq_push(q, c, written + 1);
}

static void blk_notify(struct virtio_device *t, struct virtq *q)
{
    struct virtio_blk *d = (struct virtio_blk *)t;
    struct virtq_chain c;
    while (virtq_pop(q, &c)) {
        blk_request(d, q, &c);
    }
}

static const struct virtio_device_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .queue_notify = blk_notify,
};

void virtio_blk_init(struct virtio_blk *d, const struct virtio_host *host,
                     const struct virtio_blk_backend *backend)
{
    virtio_device_init(&d->dev, host, &blk_ops, &d->requestq, 1);
    d->backend = *backend;
    d->reads = d->writes = d->flushes = d->errors = 0;
    d->dev.device_features |= 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_FLUSH |
                              (backend->read_only ? 1ull << VIRTIO_BLK_F_RO : 0);
    memset(&d->config, 0, sizeof(d->config));
    d->config.capacity = backend->size / VIRTIO_BLK_SECTOR;
    d->config.seg_max = VIRTQ_MAX_SEGS - 2; /* a chain also holds the header and the status */
    d->dev.config = (uint8_t *)&d->config;
    d->dev.config_size = sizeof(d->config);
}

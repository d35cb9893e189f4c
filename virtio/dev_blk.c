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
 *
 * With an asynchronous backend (backend.start; virtio/blk.h) the same checks come first; a
 * request that passes them is kept in an in-flight slot (its writable buffers, at most
 * VIRTIO_BLK_ASYNC_SEGS, else IOERR at once) and answered in virtio_blk_complete().
 */
#include <virtio/blk.h>
#include <string.h>

#define VIRTIO_BLK_SIZE_MAX 4096u /* size_max said with an asynchronous backend's max_len */

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

/* Checks a request for the asynchronous backend and hands it over: VIRTIO_BLK_S_OK when it is
 * in flight (answered later), else the status to answer it with now. */
static uint8_t async_start(struct virtio_blk *d, const struct virtq_chain *c, uint32_t type,
                           uint64_t sector, uint64_t in_len, uint64_t out_len)
{
    uint64_t len;
    switch (type) {
    case VIRTIO_BLK_T_IN:
        len = in_len;
        if (!in_disk(d, sector, len) || len == 0 || len > UINT32_MAX) {
            return VIRTIO_BLK_S_IOERR;
        }
        break;
    case VIRTIO_BLK_T_OUT:
        len = out_len;
        if (d->backend.read_only || !in_disk(d, sector, len) || len == 0 || len > UINT32_MAX) {
            return VIRTIO_BLK_S_IOERR;
        }
        break;
    case VIRTIO_BLK_T_FLUSH:
        len = 0;
        if (!d->backend.flush) {
            return VIRTIO_BLK_S_UNSUPP; /* not offered: the guest knows writes are not durable */
        }
        break;
    case VIRTIO_BLK_T_GET_ID:
        len = VIRTIO_BLK_ID_BYTES;
        if (in_len < len) {
            return VIRTIO_BLK_S_IOERR;
        }
        break;
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (c->nw > VIRTIO_BLK_ASYNC_SEGS || (d->backend.max_len && len > d->backend.max_len)) {
        return VIRTIO_BLK_S_IOERR; /* more buffers or bytes than SEG_MAX and SIZE_MAX said */
    }
    unsigned slot = 0;
    while (slot < d->backend.slots && d->inflight[slot].busy) {
        slot++;
    }
    if (slot == d->backend.slots) {
        return VIRTIO_BLK_S_IOERR; /* (blk_notify pops only with a slot free) */
    }
    struct virtio_blk_inflight *f = &d->inflight[slot];
    *f = (struct virtio_blk_inflight){
        .busy = true, .head = c->head, .type = type, .nw = c->nw, .wlen = c->wlen
    };
    memcpy(f->seg, c->seg + c->nr, c->nw * sizeof(f->seg[0]));
    struct virtio_blk_async_req r = { slot, type, sector, (uint32_t)len, c };
    d->busy++;
    if (!d->backend.start(d->backend.ctx, &r)) {
        f->busy = false;
        d->busy--;
        return VIRTIO_BLK_S_IOERR;
    }
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
    if (d->backend.start) {
        status = async_start(d, c, h.type, h.sector, in_len, out_len);
        if (status == VIRTIO_BLK_S_OK) {
            return; /* answered in virtio_blk_complete() */
        }
        d->errors++;
        virtq_chain_write(c, in_len, &status, 1);
        virtq_push(q, c, 1);
        return;
    }
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
    /* (an asynchronous backend: requests wait in the ring while every slot is in flight) */
    while ((!d->backend.start || d->busy < d->backend.slots) && virtq_pop(q, &c)) {
        blk_request(d, q, &c);
    }
}

/* The driver reset the device: what is in flight is answered into nothing. */
static void blk_reset(struct virtio_device *t)
{
    struct virtio_blk *d = (struct virtio_blk *)t;
    for (unsigned i = 0; i < VIRTIO_BLK_ASYNC_SLOTS; i++) {
        d->inflight[i].stale = true;
    }
}

bool virtio_blk_complete(struct virtio_blk *d, unsigned slot, uint8_t status, const void *data,
                         uint32_t len)
{
    if (slot >= d->backend.slots || !d->inflight[slot].busy) {
        return false;
    }
    struct virtio_blk_inflight *f = &d->inflight[slot];
    f->busy = false;
    d->busy--;
    struct virtq *q = &d->requestq;
    if (f->stale || !q->ready || q->broken) {
        return true;
    }
    struct virtq_chain c = {
        .head = f->head, .nr = 0, .nw = f->nw, .rlen = 0, .wlen = f->wlen, .seg = f->seg
    };
    uint64_t in_len = f->wlen - 1;
    uint32_t written = 0;
    if (status == VIRTIO_BLK_S_OK && data &&
        (f->type == VIRTIO_BLK_T_IN || f->type == VIRTIO_BLK_T_GET_ID)) {
        written = (uint32_t)virtq_chain_write(&c, 0, data, len < in_len ? len : in_len);
    }
    if (status != VIRTIO_BLK_S_OK) {
        d->errors++;
    } else {
        d->reads += f->type == VIRTIO_BLK_T_IN;
        d->writes += f->type == VIRTIO_BLK_T_OUT;
        d->flushes += f->type == VIRTIO_BLK_T_FLUSH;
    }
    virtq_chain_write(&c, in_len, &status, 1);
    virtq_push(q, &c, written + 1);
    if (virtio_queue(&d->dev, 0) == q) {
        blk_notify(&d->dev, q); /* the requests that waited for a slot */
    }
    virtio_queue_done(&d->dev, q);
    return true;
}

static const struct virtio_device_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .queue_notify = blk_notify,
    .reset = blk_reset,
};

void virtio_blk_init(struct virtio_blk *d, const struct virtio_host *host,
                     const struct virtio_blk_backend *backend)
{
    virtio_device_init(&d->dev, host, &blk_ops, &d->requestq, 1);
    d->backend = *backend;
    d->reads = d->writes = d->flushes = d->errors = 0;
    memset(d->inflight, 0, sizeof(d->inflight));
    d->busy = 0;
    bool async = backend->start != NULL;
    if (async && (d->backend.slots == 0 || d->backend.slots > VIRTIO_BLK_ASYNC_SLOTS)) {
        d->backend.slots = VIRTIO_BLK_ASYNC_SLOTS;
    }
    d->dev.device_features |= 1ull << VIRTIO_BLK_F_SEG_MAX |
                              (!async || backend->flush ? 1ull << VIRTIO_BLK_F_FLUSH : 0) |
                              (backend->read_only ? 1ull << VIRTIO_BLK_F_RO : 0);
    memset(&d->config, 0, sizeof(d->config));
    d->config.capacity = backend->size / VIRTIO_BLK_SECTOR;
    /* (a chain also holds the header and the status) */
    d->config.seg_max = async ? VIRTIO_BLK_ASYNC_SEGS - 1 : VIRTQ_MAX_SEGS - 2;
    if (async && backend->max_len) {
        uint32_t segs = backend->max_len / VIRTIO_BLK_SIZE_MAX;
        d->config.seg_max = segs == 0 ? 1 : segs < d->config.seg_max ? segs : d->config.seg_max;
        d->config.size_max = VIRTIO_BLK_SIZE_MAX;
        d->dev.device_features |= 1ull << VIRTIO_BLK_F_SIZE_MAX;
    }
    d->dev.config = (uint8_t *)&d->config;
    d->dev.config_size = sizeof(d->config);
}

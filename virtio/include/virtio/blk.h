/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2 §5.2) backed by a memory buffer: IN, OUT, FLUSH and GET_ID requests on
 * one queue, served synchronously when the driver notifies it. Features: VERSION_1, SEG_MAX,
 * FLUSH, RO for a read-only disk (plus the transport's EVENT_IDX and INDIRECT_DESC).
 */
#pragma once
#include <virtio/device.h>

#define VIRTIO_BLK_SECTOR 512u

struct virtio_blk_backend {
    uint8_t *data;    /* the disk's bytes, in the VMM */
    uint64_t size;    /* the guest sees size / 512 sectors; a partial last sector is hidden */
    bool read_only;   /* OUT requests then fail with VIRTIO_BLK_S_IOERR */
    const char *id;   /* GET_ID answer (at most 20 bytes are used); NULL: "keel-virtio-blk" */
};

struct virtio_blk {
    struct virtio_device dev; /* what the VMM attaches a transport to */
    struct virtq requestq;
    struct virtio_blk_backend backend;
    struct virtio_blk_config config;
    uint64_t reads, writes, flushes, errors; /* requests served, and those answered with an error */
};

void virtio_blk_init(struct virtio_blk *d, const struct virtio_host *host,
                     const struct virtio_blk_backend *backend);

/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2 §5.2) backed by a memory buffer: IN, OUT, FLUSH and GET_ID requests on
 * one queue, served synchronously when the driver notifies it. Features: VERSION_1, SEG_MAX,
 * FLUSH, RO for a read-only disk, SIZE_MAX for a backend with max_len (plus the transport's EVENT_IDX and INDIRECT_DESC).
 *
 * Or served elsewhere (backend.start set: the block link to the driver program, vmm/blk_link.c):
 * each request that passed the model's checks takes one of backend.slots in-flight slots and
 * goes to backend.start(); its answer comes later through virtio_blk_complete(). The model
 * keeps the chain's device-writable buffers (at most VIRTIO_BLK_ASYNC_SEGS, what SEG_MAX then
 * says) until then; the chain itself is given back only then. Requests wait in the available
 * ring while every slot is in flight. A reset of the device forgets the requests in flight:
 * their answers, when they come, only free their slots.
 */
#pragma once
#include <virtio/device.h>

#define VIRTIO_BLK_SECTOR 512u

#define VIRTIO_BLK_ASYNC_SLOTS 16
#define VIRTIO_BLK_ASYNC_SEGS 16 /* writable buffers of a request served elsewhere */

/* A request handed to an asynchronous backend: the model checked type, bounds and read-only. */
struct virtio_blk_async_req {
    unsigned slot;                 /* < backend.slots: what virtio_blk_complete() names */
    uint32_t type;                 /* VIRTIO_BLK_T_IN, _OUT, _FLUSH, _GET_ID */
    uint64_t sector;               /* of the disk the guest sees */
    uint32_t len;                  /* data bytes: to read (IN, GET_ID) or written (OUT) */
    const struct virtq_chain *out; /* OUT: the data is at byte 16 of its readable part; valid
                                    * during start() only */
};

struct virtio_blk_backend {
    uint8_t *data;    /* the disk's bytes, in the VMM */
    uint64_t size;    /* the guest sees size / 512 sectors; a partial last sector is hidden */
    bool read_only;   /* OUT requests then fail with VIRTIO_BLK_S_IOERR */
    const char *id;   /* GET_ID answer (at most 20 bytes are used); NULL: "keel-virtio-blk" */
    bool flush;       /* FLUSH offered (always for a memory disk, which has nothing to flush) */
    /* Asynchronous: NULL for a memory disk. start() takes the request (true) or answers it at
     * once with IOERR (false: e.g. its link is down). */
    bool (*start)(void *ctx, const struct virtio_blk_async_req *r);
    void *ctx;
    unsigned slots; /* requests in flight at most: 1..VIRTIO_BLK_ASYNC_SLOTS */
    /* Bytes of data one request may carry at most (0: no limit). Said to the driver as
     * VIRTIO_BLK_F_SIZE_MAX with size_max 4 KiB and seg_max max_len / 4 KiB (at most
     * VIRTIO_BLK_ASYNC_SEGS - 1): a driver keeping to both never sends more; a longer request
     * fails with IOERR. */
    uint32_t max_len;
};

struct virtio_blk_inflight {
    bool busy;  /* handed to the backend, not answered */
    bool stale; /* the device was reset since: the answer only frees the slot */
    uint16_t head;
    uint32_t type;
    unsigned nw;   /* writable segments kept */
    uint64_t wlen; /* their bytes: data, then the status byte last */
    struct virtq_seg seg[VIRTIO_BLK_ASYNC_SEGS];
};

struct virtio_blk {
    struct virtio_device dev; /* what the VMM attaches a transport to */
    struct virtq requestq;
    struct virtio_blk_backend backend;
    struct virtio_blk_config config;
    uint64_t reads, writes, flushes, errors; /* requests served, and those answered with an error */
    struct virtio_blk_inflight inflight[VIRTIO_BLK_ASYNC_SLOTS]; /* asynchronous backend */
    unsigned busy;                                               /* slots in flight */
};

void virtio_blk_init(struct virtio_blk *d, const struct virtio_host *host,
                     const struct virtio_blk_backend *backend);

/*
 * The asynchronous backend's answer to the request in slot: status (VIRTIO_BLK_S_*) and, for IN
 * and GET_ID, len bytes of data (copied into the chain's writable buffers, at most what they
 * hold). Gives the chain back, interrupts the driver as it asked, and takes the next waiting
 * requests. The caller holds the device's lock. An answer for a slot not in flight is ignored
 * (false): the backend's peer is not trusted to name slots.
 */
bool virtio_blk_complete(struct virtio_blk *d, unsigned slot, uint8_t status, const void *data,
                         uint32_t len);

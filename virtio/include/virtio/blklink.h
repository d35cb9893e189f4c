/* SPDX-License-Identifier: MIT */
/*
 * The block link (docs/devices.md): how a VMM's virtio-blk back end and the block driver program
 * share one system-tree link (keel,links; keel/progenv.h), and the checks the driver makes on
 * everything the VMM writes there. Pure functions over the shared memory's layout: both sides
 * and the host tests (virtio/tests/test_virtio_blklink.c) use them.
 *
 *   link memory (zeroed once by the root task, kept across restarts: docs/devices.md):
 *   +-----------------------------+ 0
 *   | struct blklink_header       |  written by the driver (magic last), read by the VMM
 *   +-----------------------------+ BLKLINK_REQ_RING
 *   | req ring: prod (VMM), cons  |  ring_size slots of struct blklink_req, VMM -> driver
 *   | (driver), slots             |
 *   +-----------------------------+ layout.done_ring
 *   | done ring: prod (driver),   |  ring_size slots of struct blklink_done, driver -> VMM
 *   | cons (VMM), slots           |
 *   +-----------------------------+ layout.data (page aligned)
 *   | data area                   |  the requests' data, placed by the VMM (data_off, len);
 *   |                             |  the device reads and writes it by DMA (one copy: guest
 *   +-----------------------------+  RAM <-> data area, by the VMM)
 *
 * Indices are free-running 32-bit counters (slot = index % ring_size); a side reads the other's
 * counter once, checks it (blklink_pending) and never trusts a slot's contents beyond
 * blklink_req_check. Sector numbers in requests are the slice's own: sector 0 is the slice's
 * first; the driver adds the slice's offset after the check.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define BLKLINK_MAGIC 0x314b4c424c45454bull /* "KEELBLK1" */
#define BLKLINK_SECTOR 512u
#define BLKLINK_ID_BYTES 20u /* a GET_ID answer (virtio 1.2 §5.2.6) */

/* header.flags */
#define BLKLINK_F_RO 1u    /* the slice is read-only: OUT answered IOERR */
#define BLKLINK_F_FLUSH 2u /* FLUSH reaches the board's disk (its device offers it) */

/* Request types: virtio-blk's (VIRTIO_BLK_T_IN, _OUT, _FLUSH, _GET_ID), so the VMM forwards the
 * guest's type unchanged. */
enum blklink_type { BLKLINK_IN = 0, BLKLINK_OUT = 1, BLKLINK_FLUSH = 4, BLKLINK_GET_ID = 8 };

/* Statuses: virtio-blk's. */
enum blklink_status { BLKLINK_S_OK = 0, BLKLINK_S_IOERR = 1, BLKLINK_S_UNSUPP = 2 };

struct blklink_header {
    uint64_t magic;       /* BLKLINK_MAGIC once the rest is valid (written last) */
    uint32_t version;     /* 1 */
    uint32_t generation;  /* the driver's start count: a new one fails the requests in flight */
    uint64_t capacity;    /* sectors of the slice */
    uint32_t flags;       /* BLKLINK_F_* */
    uint32_t ring_size;   /* slots in each ring (what blklink_layout() gave the driver) */
    uint32_t driver_idle; /* 1: the driver sleeps on its doorbell (ring it after posting) */
    uint32_t vmm_idle;    /* 1: the VMM sleeps on its doorbell (ring it after completing) */
    uint64_t epoch;       /* the driver's run (its own_epoch, keel/progenv.h), written before
                           * magic: the VMM takes the header only while its peer_epoch is this */
    uint64_t reserved[2];
};

struct blklink_req {
    uint64_t tag;      /* the VMM's, echoed in the completion */
    uint64_t sector;   /* of the slice */
    uint32_t type;     /* enum blklink_type */
    uint32_t len;      /* bytes of data: whole sectors for IN and OUT, 0 for FLUSH */
    uint32_t data_off; /* where in the data area */
    uint32_t reserved;
};

struct blklink_done {
    uint64_t tag;
    uint32_t status; /* enum blklink_status */
    uint32_t len;    /* bytes the driver wrote into the data area (IN, GET_ID) */
};

struct blklink_ring_index {
    uint32_t prod; /* written by the producing side only */
    uint32_t cons; /* written by the consuming side only */
};

#define BLKLINK_REQ_RING 64u /* (sizeof(struct blklink_header)) */
/* The max_slots both sides give blklink_layout(): the layout depends on nothing else. */
#define BLKLINK_MAX_SLOTS 16u

/* Where the parts of a link of a given size are. */
struct blklink_layout {
    uint32_t ring_size;           /* slots per ring: a power of two, 0 if the link is too small */
    uint64_t req_ring, done_ring; /* offsets of their struct blklink_ring_index, slots after it */
    uint64_t data, data_size;     /* the data area */
};

/* A VM's part of the board's disk, from the system tree (its link's node). */
struct blk_slice {
    uint64_t first;   /* the disk's sector where the slice starts */
    uint64_t sectors; /* its size */
    bool read_only;
};

/* The layout both sides derive from the link's size (bytes, whole pages): rings of up to
 * max_slots (a power of two) slots, as many as leave a data area of at least a quarter of the
 * link and one 64 KiB request. false when the link is too small for a ring of 8 and that. */
bool blklink_layout(uint64_t link_size, uint32_t max_slots, struct blklink_layout *l);

/* The slice of keel,blk-slice = <offset-hi offset-lo size-hi size-lo> (prop, len bytes as in
 * the tree: big-endian cells; offset and size in bytes, whole sectors) on a disk of disk_sectors.
 * NULL with *s filled, or why it is refused. */
const char *blk_slice_parse(const void *prop, int len, bool read_only, uint64_t disk_sectors,
                            struct blk_slice *s);

/* Whether two slices conflict: they share a sector and either is writable (two VMs may read the
 * same sectors; none may see another's writes). */
bool blk_slices_conflict(const struct blk_slice *a, const struct blk_slice *b);

/* How many entries the producer has posted that the consumer has not taken: prod and cons as
 * read from the link. false (a broken peer: stop serving the link) when that is more than the
 * ring holds. */
bool blklink_pending(uint32_t prod, uint32_t cons, uint32_t ring_size, uint32_t *n);

/* Checks a request (a copy the driver made: read once) against the slice and the data area.
 * BLKLINK_S_OK with *disk_sector the board's sector (IN, OUT) to serve it at, or the status to
 * answer it with at once: UNSUPP for an unknown type, IOERR for data outside the data area, a
 * length not of whole sectors (or not 0 for FLUSH, or less than an ID for GET_ID), sectors
 * outside the slice, or OUT on a read-only slice. Never overflows on any input. */
enum blklink_status blklink_req_check(const struct blklink_req *r, const struct blk_slice *s,
                                      const struct blklink_layout *l, uint64_t *disk_sector);

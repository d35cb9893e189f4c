// SPDX-License-Identifier: MIT
// The block link's layout and the driver's checks (see virtio/include/virtio/blklink.h).
#include <virtio/blklink.h>
#include <stddef.h>

_Static_assert(sizeof(struct blklink_header) == BLKLINK_REQ_RING,
               "header fills the first 64 bytes");
_Static_assert(sizeof(struct blklink_req) == 32, "request slot layout");
_Static_assert(sizeof(struct blklink_done) == 16, "completion slot layout");

#define PAGE 4096ull
#define MIN_SLOTS 8u
#define MIN_DATA 0x10000ull /* one 64 KiB request */

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* The layout for n slots (rings only; data is what is left). */
static void place(uint64_t link_size, uint32_t n, struct blklink_layout *l)
{
    l->ring_size = n;
    l->req_ring = BLKLINK_REQ_RING;
    uint64_t req_end = l->req_ring + sizeof(struct blklink_ring_index) +
                       (uint64_t)n * sizeof(struct blklink_req);
    l->done_ring = align_up(req_end, 64);
    uint64_t done_end = l->done_ring + sizeof(struct blklink_ring_index) +
                        (uint64_t)n * sizeof(struct blklink_done);
    l->data = align_up(done_end, PAGE);
    l->data_size = l->data < link_size ? link_size - l->data : 0;
}

bool blklink_layout(uint64_t link_size, uint32_t max_slots, struct blklink_layout *l)
{
    uint64_t want = link_size / 4 > MIN_DATA ? link_size / 4 : MIN_DATA;
    uint32_t n = 1u << 31;
    while (n > max_slots) {
        n >>= 1;
    }
    for (; n >= MIN_SLOTS; n >>= 1) {
        place(link_size, n, l);
        if (l->data_size >= want) {
            return true;
        }
    }
    *l = (struct blklink_layout){ 0 };
    return false;
}

static uint64_t be64_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

const char *blk_slice_parse(const void *prop, int len, bool read_only, uint64_t disk_sectors,
                            struct blk_slice *s)
{
    if (!prop || len != 16) {
        return "keel,blk-slice is not <offset-hi offset-lo size-hi size-lo>";
    }
    uint64_t offset = be64_at(prop), size = be64_at((const uint8_t *)prop + 8);
    if (offset % BLKLINK_SECTOR || size % BLKLINK_SECTOR) {
        return "keel,blk-slice: offset and size are not whole sectors (512 bytes)";
    }
    if (size == 0) {
        return "keel,blk-slice: size 0";
    }
    uint64_t first = offset / BLKLINK_SECTOR, sectors = size / BLKLINK_SECTOR;
    if (first > disk_sectors || sectors > disk_sectors - first) {
        return "keel,blk-slice: beyond the end of the disk";
    }
    *s = (struct blk_slice){ first, sectors, read_only };
    return NULL;
}

bool blk_slices_conflict(const struct blk_slice *a, const struct blk_slice *b)
{
    bool share = a->first < b->first ? b->first - a->first < a->sectors
                                     : a->first - b->first < b->sectors;
    return share && !(a->read_only && b->read_only);
}

bool blklink_pending(uint32_t prod, uint32_t cons, uint32_t ring_size, uint32_t *n)
{
    *n = prod - cons; /* (free-running: wraps at 2^32 the same on both sides) */
    return *n <= ring_size;
}

enum blklink_status blklink_req_check(const struct blklink_req *r, const struct blk_slice *s,
                                      const struct blklink_layout *l, uint64_t *disk_sector)
{
    *disk_sector = 0;
    switch (r->type) {
    case BLKLINK_IN:
    case BLKLINK_OUT:
    case BLKLINK_GET_ID:
        if ((uint64_t)r->data_off + r->len > l->data_size) {
            return BLKLINK_S_IOERR;
        }
        break;
    case BLKLINK_FLUSH:
        return r->len == 0 ? BLKLINK_S_OK : BLKLINK_S_IOERR;
    default:
        return BLKLINK_S_UNSUPP;
    }
    if (r->type == BLKLINK_GET_ID) {
        return r->len >= BLKLINK_ID_BYTES ? BLKLINK_S_OK : BLKLINK_S_IOERR;
    }
    uint64_t count = r->len / BLKLINK_SECTOR;
    if (r->len == 0 || r->len % BLKLINK_SECTOR || r->sector > s->sectors ||
        count > s->sectors - r->sector) {
        return BLKLINK_S_IOERR;
    }
    if (r->type == BLKLINK_OUT && s->read_only) {
        return BLKLINK_S_IOERR;
    }
    *disk_sector = s->first + r->sector;
    return BLKLINK_S_OK;
}

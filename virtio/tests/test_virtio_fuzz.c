// SPDX-License-Identifier: MIT
/*
 * A deterministic random guest: for every device model, a driver that sets the device up and
 * then does random things — random MMIO accesses (offsets, widths, values), random descriptor
 * tables and available rings (addresses mostly inside RAM, so walks go deep), notifications,
 * resets, input from the VMM. Nothing may crash (AddressSanitizer and UndefinedBehaviorSanitizer
 * watch every access), nothing outside guest RAM and the disk may change, and every run must
 * end (the walks are bounded).
 */
#include "driver.h"
#include "unit.h"
#include <stdlib.h>
#include <virtio/blk.h>
#include <virtio/console.h>
#include <virtio/net.h>
#include <virtio/rng.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t below(uint64_t n)
{
    return rnd() % n;
}

static void fill(void *ctx, void *buf, size_t n)
{
    memset(buf, 0x5a, n);
}

static void sink(void *ctx, const char *buf, size_t n)
{
    volatile char c = n ? buf[n - 1] : 0; /* touch the bytes: ASan checks them */
    (void)c;
}

static void tx(void *ctx, const void *frame, size_t len)
{
    sink(ctx, frame, len);
}

/* A guest-physical address: mostly in RAM (sometimes near its ends), sometimes anywhere. */
static uint64_t gpa(void)
{
    switch (below(8)) {
    case 0: return rnd();
    case 1: return RAM_BASE + RAM_SIZE - below(64);
    case 2: return RAM_BASE - below(64);
    default: return RAM_BASE + below(RAM_SIZE);
    }
}

static uint32_t length(void)
{
    switch (below(8)) {
    case 0: return (uint32_t)rnd();
    case 1: return 0;
    default: return (uint32_t)below(2048);
    }
}

/*
 * A chain that may pass the checks: three descriptors, readable ones first, the first one a
 * virtio-blk request header (type and sector random), lengths that fit the devices, published.
 */
static void plausible(struct drv *d, unsigned qi)
{
    struct drv_queue *q = &d->q[qi];
    uint16_t i[3];
    for (unsigned k = 0; k < 3; k++) {
        i[k] = (uint16_t)below(q->num);
    }
    unsigned writable_from = (unsigned)below(4); /* 0: all writable ... 3: all readable */
    static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
                                      VIRTIO_BLK_T_GET_ID, 99 };
    uint64_t hdr = RAM_BASE + RAM_SIZE / 2 + below(RAM_SIZE / 4) / 8 * 8;
    struct virtio_blk_outhdr *h = gptr(d->g, hdr);
    *h = (struct virtio_blk_outhdr){ .type = types[below(5)], .sector = below(140) };
    static const uint32_t lens[] = { 16, 512, 1, 1024, 12, 1530, 100 };
    for (unsigned k = 0; k < 3; k++) {
        *drv_desc(d, qi, i[k]) = (struct vring_desc){
            .addr = k == 0 ? hdr : RAM_BASE + below(RAM_SIZE / 2),
            .len = k == 0 ? 16 : lens[below(7)],
            .flags = (uint16_t)((k >= writable_from ? VRING_DESC_F_WRITE : 0) |
                                (k < 2 ? VRING_DESC_F_NEXT : 0)),
            .next = k < 2 ? i[k + 1] : 0,
        };
    }
    struct vring_avail *avail = drv_avail(d, qi);
    avail->ring[q->avail_idx++ % q->num] = i[0];
    avail->idx = q->avail_idx;
}

/* Scribbles over queue qi's descriptor table and available ring, and publishes some entries. */
static void scribble(struct drv *d, unsigned qi)
{
    struct drv_queue *q = &d->q[qi];
    if (q->num == 0) {
        return;
    }
    if (below(2)) {
        plausible(d, qi);
        return;
    }
    for (unsigned k = 0; k < 4; k++) {
        *drv_desc(d, qi, (unsigned)below(q->num)) = (struct vring_desc){
            .addr = gpa(),
            .len = length(),
            .flags = (uint16_t)below(8),
            .next = (uint16_t)below(q->num + 2u),
        };
    }
    struct vring_avail *avail = drv_avail(d, qi);
    unsigned n = (unsigned)below(4);
    for (unsigned k = 0; k < n; k++) {
        avail->ring[q->avail_idx++ % q->num] = (uint16_t)below(q->num + 1u);
    }
    avail->idx = below(16) == 0 ? (uint16_t)rnd() : q->avail_idx;
    avail->ring[q->num] = (uint16_t)rnd(); /* used_event */
    avail->flags = (uint16_t)below(2);
}

static void mmio_noise(struct drv *d)
{
    static const unsigned widths[] = { 1, 2, 3, 4, 4, 4, 8 };
    uint64_t off = below(4) == 0 ? below(VIRTIO_MMIO_WINDOW + 16) : below(0x40) * 4;
    uint64_t v = below(2) ? rnd() : below(4);
    virtio_mmio_access(d->t, off, widths[below(7)], below(3) != 0, &v);
}

enum { BLK, CONSOLE, NET, RNG, KINDS };

/* Requests (or bytes) each kind of device served: the random guest must get past the checks too. */
static uint64_t served[KINDS];

struct devices {
    struct virtio_blk blk;
    struct virtio_console con;
    struct virtio_net net;
    struct virtio_rng rng;
};

static void run(unsigned kind, struct devices *dv, uint8_t *disk, size_t disk_size)
{
    struct fake_guest g;
    struct drv d;
    guest_init(&g);
    struct virtio_mmio *t = NULL;
    unsigned queues = 1;
    switch (kind) {
    case BLK: {
        struct virtio_blk_backend b = { .data = disk, .size = disk_size, .read_only = below(2) };
        virtio_blk_init(&dv->blk, &g.host, &b);
        t = &dv->blk.mmio;
        break;
    }
    case CONSOLE: {
        struct virtio_console_backend b = { .write = sink };
        virtio_console_init(&dv->con, &g.host, &b);
        t = &dv->con.mmio;
        queues = 2;
        break;
    }
    case NET: {
        struct virtio_net_backend b = { .tx = tx };
        virtio_net_init(&dv->net, &g.host, &b);
        t = &dv->net.mmio;
        queues = 2;
        break;
    }
    default: {
        struct virtio_rng_backend b = { .fill = fill };
        virtio_rng_init(&dv->rng, &g.host, &b);
        t = &dv->rng.mmio;
        break;
    }
    }
    drv_init(&d, &g, t);
    uint16_t num = (uint16_t)(1u << below(9));
    drv_negotiate(&d, t->device_features & rnd());
    drv_negotiate(&d, t->device_features & (rnd() | 1ull << VIRTIO_F_VERSION_1));
    for (unsigned i = 0; i < queues; i++) {
        drv_queue(&d, i, num);
    }
    drv_wr(&d, VIRTIO_MMIO_STATUS, drv_status(&d) | VIRTIO_CONFIG_S_DRIVER_OK);

    char input[2000];
    memset(input, 'i', sizeof(input));
    for (unsigned step = 0; step < 300; step++) {
        unsigned qi = (unsigned)below(queues);
        switch (below(6)) {
        case 0: mmio_noise(&d); break;
        case 1: case 2: scribble(&d, qi); break;
        case 3: drv_kick(&d, qi); break;
        case 4:
            if (kind == CONSOLE) {
                virtio_console_input(&dv->con, input, below(sizeof(input)));
            } else if (kind == NET) {
                virtio_net_rx(&dv->net, input, below(sizeof(input)));
            }
            break;
        default:
            if (below(20) == 0) { /* start over, perhaps with other sizes */
                d.heap = RAM_BASE;
                drv_start(&d, t->device_features & (rnd() | 1ull << VIRTIO_F_VERSION_1), queues,
                          (uint16_t)(1u << below(9)));
            }
            break;
        }
    }
    switch (kind) {
    case BLK:
        served[kind] += dv->blk.reads + dv->blk.writes + dv->blk.flushes + dv->blk.errors;
        break;
    case CONSOLE: served[kind] += dv->con.tx_bytes + dv->con.rx_bytes; break;
    case NET: served[kind] += dv->net.tx_frames + dv->net.rx_frames + dv->net.tx_dropped; break;
    default: served[kind] += dv->rng.bytes; break;
    }
    CHECK(guest_fini(&g));
}

/* Usage: test_virtio_fuzz [seed] (ctest runs the default seed). */
int main(int argc, char **argv)
{
    if (argc > 1) {
        rng_state = strtoull(argv[1], NULL, 0) | 1;
    }
    size_t disk_size = 64 * 1024;
    uint8_t *disk = malloc(disk_size);
    memset(disk, 0, disk_size);
    struct devices *dv = malloc(sizeof(*dv));
    for (unsigned round = 0; round < 1000; round++) {
        run(round % KINDS, dv, disk, disk_size);
    }
    free(dv);
    free(disk);
    printf("served: blk %llu requests, console %llu bytes, net %llu frames, rng %llu bytes\n",
           (unsigned long long)served[BLK], (unsigned long long)served[CONSOLE],
           (unsigned long long)served[NET], (unsigned long long)served[RNG]);
    for (unsigned k = 0; k < KINDS; k++) {
        CHECK(served[k] > 0);
    }
    /* The driver's own steps fail often here (the device refuses things): that is the point. */
    drv_failures = 0;
    return unit_done("test_virtio_fuzz");
}

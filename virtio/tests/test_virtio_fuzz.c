// SPDX-License-Identifier: MIT
/*
 * A deterministic random guest: for every device model behind each transport, a driver that
 * sets the device up and then does random things — random register accesses (virtio-mmio: the
 * window; virtio-pci: the BAR's structures and the capabilities with their PCI cfg access
 * window, MSI-X turned on and off), random descriptor tables and available rings (addresses
 * mostly inside RAM, so walks go deep), notifications, resets, input from the VMM. Nothing may
 * crash (AddressSanitizer and UndefinedBehaviorSanitizer watch every access), nothing outside
 * guest RAM and the disk may change, and every run must end (the walks are bounded). On
 * virtio-pci the vectors stay in the MSI-X table (or NO_VECTOR), MSI-X messages name only those,
 * INTx rises only with MSI-X off and follows the ISR (set while it is not 0).
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

/* Random accesses to the virtio-pci structures and capabilities, and MSI-X on or off. */
static void pci_noise(struct drv *d)
{
    static const unsigned widths[] = { 1, 2, 3, 4, 4, 2, 8, 0 };
    uint64_t v = below(2) ? rnd() : below(4);
    unsigned width = widths[below(8)];
    bool write = below(3) != 0;
    switch (below(8)) {
    case 0: /* the capabilities, the PCI cfg access window among them */
        virtio_pci_cap_access(&d->pci, (unsigned)below(VIRTIO_PCI_CAPS_LEN + 8), width, write, &v);
        break;
    case 1: /* MSI-X turned on or off, after an ISR read (INTx starts low) */
        virtio_pci_bar_access(&d->pci, 0x1000, 1, false, &v);
        d->g->msix_enabled = !d->g->msix_enabled;
        break;
    case 2:
        virtio_pci_bar_access(&d->pci, below(VIRTIO_PCI_BAR_SIZE + 16), width, write, &v);
        break;
    case 3:
        virtio_pci_bar_access(&d->pci, 0x1000 + below(4), width, write, &v);
        break;
    case 4:
        virtio_pci_bar_access(&d->pci, 0x2000 + below(0x80), width, write, &v);
        break;
    case 5:
        virtio_pci_bar_access(&d->pci, 0x3000 + below(40), width, write, &v);
        break;
    default:
        virtio_pci_bar_access(&d->pci, below(0x40), width, write, &v);
        break;
    }
}

enum { BLK, CONSOLE, NET, RNG, KINDS };

/* Requests (or bytes) each kind of device served, per transport: the random guest must get past
 * the checks too. */
static uint64_t served[DRV_TRANSPORTS][KINDS];
/* virtio-pci's interrupts over all runs: both kinds must happen. */
static unsigned msix_sent, intx_edges;

/* The fake guest's own callbacks, watched (virtio-pci). */
static bool (*guest_msix)(void *ctx, uint16_t vector);
static void (*guest_intx)(void *ctx, bool level);
static bool isr_by_msix; /* an ISR bit was set by a notification that went as MSI-X */

static bool watch_msix(void *ctx, uint16_t vector)
{
    struct fake_guest *g = ctx;
    CHECK(vector < g->msix_vectors || vector == VIRTIO_PCI_NO_VECTOR);
    unsigned irqs = g->irqs;
    bool taken = guest_msix(ctx, vector);
    isr_by_msix = isr_by_msix || taken;
    msix_sent += g->irqs - irqs;
    return taken;
}

static void watch_intx(void *ctx, bool level)
{
    struct fake_guest *g = ctx;
    CHECK(!level || !g->msix_enabled); /* INTx only when MSI-X is off */
    intx_edges += level && !g->intx;
    guest_intx(ctx, level);
}

/* What virtio-pci must hold after any step of the random guest. */
static void check_pci(const struct drv *d)
{
    const struct virtio_pci *t = &d->pci;
    const struct fake_guest *g = d->g;
    bool vectors_ok = t->config_vector < t->msix_vectors ||
                      t->config_vector == VIRTIO_PCI_NO_VECTOR;
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
        vectors_ok = vectors_ok && (t->queue_vector[i] < t->msix_vectors ||
                                    t->queue_vector[i] == VIRTIO_PCI_NO_VECTOR);
    }
    CHECK(vectors_ok);
    if (d->dev->isr == 0) {
        isr_by_msix = false;
    }
    CHECK(!g->intx || d->dev->isr != 0);
    if (g->msix_enabled) {
        CHECK(!g->intx);
    } else if (!isr_by_msix) {
        CHECK_EQ(g->intx, d->dev->isr != 0);
    }
}

struct devices {
    struct virtio_blk blk;
    struct virtio_console con;
    struct virtio_net net;
    struct virtio_rng rng;
};

static void run(unsigned kind, enum drv_transport transport, struct devices *dv, uint8_t *disk,
                size_t disk_size)
{
    struct fake_guest g;
    struct drv d;
    guest_init(&g);
    guest_msix = g.host.notify_msix;
    guest_intx = g.host.set_intx;
    g.host.notify_msix = watch_msix;
    g.host.set_intx = watch_intx;
    isr_by_msix = false;
    struct virtio_device *t = NULL;
    unsigned queues = 1;
    switch (kind) {
    case BLK: {
        struct virtio_blk_backend b = { .data = disk, .size = disk_size, .read_only = below(2) };
        virtio_blk_init(&dv->blk, &g.host, &b);
        t = &dv->blk.dev;
        break;
    }
    case CONSOLE: {
        struct virtio_console_backend b = { .write = sink };
        virtio_console_init(&dv->con, &g.host, &b);
        t = &dv->con.dev;
        queues = 2;
        break;
    }
    case NET: {
        struct virtio_net_backend b = { .tx = tx };
        virtio_net_init(&dv->net, &g.host, &b);
        t = &dv->net.dev;
        queues = 2;
        break;
    }
    default: {
        struct virtio_rng_backend b = { .fill = fill };
        virtio_rng_init(&dv->rng, &g.host, &b);
        t = &dv->rng.dev;
        break;
    }
    }
    drv_attach(&d, &g, t, transport);
    uint16_t num = (uint16_t)(1u << below(9));
    drv_negotiate(&d, t->device_features & rnd());
    drv_negotiate(&d, t->device_features & (rnd() | 1ull << VIRTIO_F_VERSION_1));
    for (unsigned i = 0; i < queues; i++) {
        drv_queue(&d, i, num);
    }
    drv_set_status(&d, drv_status(&d) | VIRTIO_CONFIG_S_DRIVER_OK);

    char input[2000];
    memset(input, 'i', sizeof(input));
    for (unsigned step = 0; step < 300; step++) {
        unsigned qi = (unsigned)below(queues);
        switch (below(6)) {
        case 0:
            if (transport == DRV_PCI) {
                pci_noise(&d);
            } else {
                mmio_noise(&d);
            }
            break;
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
        if (transport == DRV_PCI) {
            unsigned failures = unit_failures;
            check_pci(&d);
            if (unit_failures != failures) {
                fprintf(stderr, "  (virtio-pci, device kind %u, step %u)\n", kind, step);
            }
        }
    }
    uint64_t *n = &served[transport][kind];
    switch (kind) {
    case BLK:
        *n += dv->blk.reads + dv->blk.writes + dv->blk.flushes + dv->blk.errors;
        break;
    case CONSOLE:
        *n += dv->con.tx_bytes + dv->con.rx_bytes;
        break;
    case NET:
        *n += dv->net.tx_frames + dv->net.rx_frames + dv->net.tx_dropped;
        break;
    default:
        *n += dv->rng.bytes;
        break;
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
    /* All virtio-mmio rounds first: they take the same random numbers as before virtio-pci. */
    for (enum drv_transport tr = DRV_MMIO; tr < DRV_TRANSPORTS; tr++) {
        for (unsigned round = 0; round < 1000; round++) {
            run(round % KINDS, tr, dv, disk, disk_size);
        }
        printf("%s served: blk %llu requests, console %llu bytes, net %llu frames, rng %llu "
               "bytes\n",
               drv_transport_name(tr), (unsigned long long)served[tr][BLK],
               (unsigned long long)served[tr][CONSOLE], (unsigned long long)served[tr][NET],
               (unsigned long long)served[tr][RNG]);
        for (unsigned k = 0; k < KINDS; k++) {
            CHECK(served[tr][k] > 0);
        }
    }
    free(dv);
    free(disk);
    printf("pci interrupts: %u MSI-X messages, %u INTx edges\n", msix_sent, intx_edges);
    CHECK(msix_sent > 0);
    CHECK(intx_edges > 0);
    /* The driver's own steps fail often here (the device refuses things): that is the point. */
    drv_failures = 0;
    return unit_done("test_virtio_fuzz");
}

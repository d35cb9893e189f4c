// SPDX-License-Identifier: MIT
/*
 * The virtio-pci transport: the capabilities (content, chain, the device one only with a
 * configuration space), the attach checks, the common configuration's fields (natural widths
 * only, a 64-bit address also as halves, read-only fields, the selected queue and a missing
 * one, MSI-X vectors and NO_VECTOR, reset), notifications by address, the ISR and INTx, MSI-X
 * messages, the PCI cfg access window, the device configuration and the BAR's bounds. A small
 * test device (two queues, eight bytes of configuration) stands behind the transport, and
 * virtio-rng where used buffers or no configuration space are needed.
 */
#include "driver.h"
#include "unit.h"
#include <virtio/blk.h>
#include <virtio/console.h>
#include <virtio/net.h>
#include <virtio/rng.h>

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define S_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER VIRTIO_CONFIG_S_DRIVER
#define S_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK VIRTIO_CONFIG_S_DRIVER_OK
#define S_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET
#define NO_VECTOR VIRTIO_PCI_NO_VECTOR
/* The BAR's layout (pci.h) and the capabilities' places relative to cap_base. */
enum { COMMON = 0x0000, ISR = 0x1000, DEVICE = 0x2000, NOTIFY = 0x3000 };
enum { CAP_COMMON = 0, CAP_NOTIFY = 16, CAP_ISR = 36, CAP_DEVICE = 52, CAP_PCI_CFG = 68 };
/* The PCI cfg access capability's fields (struct virtio_pci_cfg_cap). */
enum {
    CFG_BAR = CAP_PCI_CFG + 4,
    CFG_OFFSET = CAP_PCI_CFG + 8,
    CFG_LENGTH = CAP_PCI_CFG + 12,
    CFG_DATA = CAP_PCI_CFG + 16
};

/* The test device behind virtio-pci (3 MSI-X vectors), as the driver found it. */
static void dev_init(struct test_dev *dev, struct fake_guest *g, struct drv *d)
{
    test_dev_setup(dev, g);
    drv_init_pci(d, g, &dev->dev);
}

static void fill(void *ctx, void *buf, size_t n)
{
    memset(buf, 0x5a, n);
}

static const struct virtio_rng_backend rng_backend = { .fill = fill };

/* virtio-rng behind virtio-pci (2 MSI-X vectors), started with one queue of 8. */
static void rng_init(struct virtio_rng *rng, struct fake_guest *g, struct drv *d, bool msix)
{
    guest_init(g);
    virtio_rng_init(rng, &g->host, &rng_backend);
    drv_init_pci(d, g, &rng->dev);
    g->msix_enabled = msix;
    drv_start(d, F_V1, 1, 8);
}

/* One device-writable buffer of 16 bytes on queue 0, notified. */
static void rng_request(struct drv *d)
{
    struct drv_buf b[] = { { drv_alloc(d, 16, 16), 16, true } };
    drv_add(d, 0, b, 1);
    drv_kick(d, 0);
}

static bool bar(struct drv *d, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    return virtio_pci_bar_access(&d->pci, off, width, write, v);
}

static bool cap(struct drv *d, unsigned off, unsigned width, bool write, uint64_t *v)
{
    return virtio_pci_cap_access(&d->pci, off, width, write, v);
}

/* A refused read: false, and the value 0. */
static bool refused_read(struct drv *d, uint64_t off, unsigned width)
{
    uint64_t v = 0x1234;
    return !bar(d, off, width, false, &v) && v == 0;
}

static bool refused_write(struct drv *d, uint64_t off, unsigned width, uint64_t v)
{
    return !bar(d, off, width, true, &v);
}

/* Points the PCI cfg access window at (bar, offset, length). */
static void window(struct drv *d, uint8_t b, uint32_t offset, uint32_t length)
{
    uint64_t v = b;
    CHECK(cap(d, CFG_BAR, 1, true, &v));
    v = offset;
    CHECK(cap(d, CFG_OFFSET, 4, true, &v));
    v = length;
    CHECK(cap(d, CFG_LENGTH, 4, true, &v));
}

static void test_init(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct virtio_pci t;
    test_dev_setup(&dev, &g);
    CHECK(!virtio_pci_init(&t, &dev.dev, 6, 0x40, 0, 3));     /* BARs 0 to 5 */
    CHECK(!virtio_pci_init(&t, &dev.dev, 4, 0x3c, 0, 3));     /* inside the header */
    CHECK(!virtio_pci_init(&t, &dev.dev, 4, 0x42, 0, 3));     /* not 4-aligned */
    CHECK(!virtio_pci_init(&t, &dev.dev, 4, 0xac, 0, 3));     /* runs past 256 */
    CHECK(!virtio_pci_init(&t, &dev.dev, 4, 0x40, 0x100, 3)); /* next beyond 256 */
    CHECK(!virtio_pci_init(&t, &dev.dev, 4, 0x40, 0, 0x801)); /* MSI-X has 2048 at most */
    CHECK(dev.dev.transport == NULL);
    CHECK(virtio_pci_init(&t, &dev.dev, 4, 0x100 - VIRTIO_PCI_CAPS_LEN, 0, 0x800));
    CHECK(dev.dev.transport != NULL);
    CHECK(guest_fini(&g));

    /* No INTx callback: refused (it is the fallback of every notification). */
    test_dev_setup(&dev, &g);
    dev.dev.env.host.set_intx = NULL;
    CHECK(!virtio_pci_init(&t, &dev.dev, 4, 0x40, 0, 3));
    CHECK(guest_fini(&g));

    /* More queues than the transport has vectors for. */
    guest_init(&g);
    struct virtio_device big;
    struct virtq queues[VIRTIO_PCI_MAX_QUEUES + 1];
    virtio_device_init(&big, &g.host, dev.dev.ops, queues, VIRTIO_PCI_MAX_QUEUES + 1);
    CHECK(!virtio_pci_init(&t, &big, 4, 0x40, 0, 3));
    virtio_device_init(&big, &g.host, dev.dev.ops, queues, VIRTIO_PCI_MAX_QUEUES);
    CHECK(virtio_pci_init(&t, &big, 4, 0x40, 0, 3));
    CHECK(guest_fini(&g));

    /* Identity: a modern-only device id and a class code per device type. */
    CHECK_EQ(virtio_pci_device_id(&dev.dev), 0x1040 + 42);
    CHECK_EQ(virtio_pci_class(&dev.dev), 0xff0000);
    guest_init(&g);
    struct virtio_rng rng;
    virtio_rng_init(&rng, &g.host, &rng_backend);
    CHECK_EQ(virtio_pci_device_id(&rng.dev), 0x1044);
    uint8_t disk[512] = { 0 };
    struct virtio_blk blk;
    struct virtio_blk_backend bb = { .data = disk, .size = sizeof(disk) };
    virtio_blk_init(&blk, &g.host, &bb);
    CHECK_EQ(virtio_pci_device_id(&blk.dev), 0x1042);
    CHECK_EQ(virtio_pci_class(&blk.dev), 0x010000);
    struct virtio_net net;
    struct virtio_net_backend nb = { .mac = { 2 } };
    virtio_net_init(&net, &g.host, &nb);
    CHECK_EQ(virtio_pci_device_id(&net.dev), 0x1041);
    CHECK_EQ(virtio_pci_class(&net.dev), 0x020000);
    struct virtio_console con;
    struct virtio_console_backend cb = { 0 };
    virtio_console_init(&con, &g.host, &cb);
    CHECK_EQ(virtio_pci_device_id(&con.dev), 0x1043);
    CHECK_EQ(virtio_pci_class(&con.dev), 0x078000);
    CHECK(guest_fini(&g));
}

/* The capability at pos, field by field. */
static void expect_cap(struct drv *d, unsigned pos, unsigned next, unsigned len, unsigned type,
                       unsigned b, uint32_t offset, uint32_t length, int line)
{
    unsigned failures = unit_failures;
    CHECK_EQ(drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_VNDR, 1), 0x09); /* vendor-specific */
    CHECK_EQ(drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_NEXT, 1), next);
    CHECK_EQ(drv_cfg_rd(d, pos, 2), 0x09 | next << 8); /* as Linux's walk reads them */
    CHECK_EQ(drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_LEN, 1), len);
    CHECK_EQ(drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1), type);
    CHECK_EQ(drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_BAR, 1), b);
    CHECK_EQ(drv_cfg_rd(d, pos + 5, 1), 0); /* id */
    CHECK_EQ(drv_cfg_rd(d, pos + 6, 2), 0); /* padding */
    CHECK_EQ(drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_OFFSET, 4), offset);
    CHECK_EQ(drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_LENGTH, 4), length);
    if (unit_failures != failures) {
        fprintf(stderr, "  (capability at 0x%x, line %d)\n", pos, line);
    }
}

/* Walks the chain from the first capability: the cfg_types in order, and the last next. */
static unsigned walk(struct drv *d, unsigned *types, unsigned max, unsigned *last_next)
{
    unsigned base = d->pci.cap_base, pos = base, n = 0;
    while (pos >= base && pos - base < VIRTIO_PCI_CAPS_LEN && n < max) {
        types[n++] = (unsigned)drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1);
        pos = (unsigned)drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_NEXT, 1);
    }
    *last_next = pos;
    return n;
}

static void test_capabilities(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    const unsigned b = 0x40;
    expect_cap(&d, b + CAP_COMMON, b + CAP_NOTIFY, 16, VIRTIO_PCI_CAP_COMMON_CFG, 4, COMMON, 0x38,
               __LINE__);
    expect_cap(&d, b + CAP_NOTIFY, b + CAP_ISR, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, NOTIFY, 4 * 2,
               __LINE__);
    CHECK_EQ(drv_cfg_rd(&d, b + CAP_NOTIFY + VIRTIO_PCI_NOTIFY_CAP_MULT, 4), 4);
    expect_cap(&d, b + CAP_ISR, b + CAP_DEVICE, 16, VIRTIO_PCI_CAP_ISR_CFG, 4, ISR, 1, __LINE__);
    expect_cap(&d, b + CAP_DEVICE, b + CAP_PCI_CFG, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 4, DEVICE, 8,
               __LINE__);
    expect_cap(&d, b + CAP_PCI_CFG, 0, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, __LINE__);
    CHECK_EQ(drv_cfg_rd(&d, b + CFG_DATA, 4), 0); /* the window: nowhere yet */
    CHECK(guest_logged(&g, "BAR 0 offset 0x0 length 0 refused"));
    /* What the driver found by walking them. */
    CHECK_EQ(d.cap[VIRTIO_PCI_CAP_COMMON_CFG].pos, b + CAP_COMMON);
    CHECK_EQ(d.cap[VIRTIO_PCI_CAP_COMMON_CFG].offset, COMMON);
    CHECK_EQ(d.cap[VIRTIO_PCI_CAP_NOTIFY_CFG].offset, NOTIFY);
    CHECK_EQ(d.cap[VIRTIO_PCI_CAP_ISR_CFG].offset, ISR);
    CHECK_EQ(d.cap[VIRTIO_PCI_CAP_DEVICE_CFG].offset, DEVICE);
    CHECK_EQ(d.cap[VIRTIO_PCI_CAP_DEVICE_CFG].length, 8);
    CHECK_EQ(d.cap[VIRTIO_PCI_CAP_PCI_CFG].pos, b + CAP_PCI_CFG);
    CHECK_EQ(d.notify_mult, 4);
    unsigned types[8], next;
    CHECK_EQ(walk(&d, types, 8, &next), 5);
    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ(types[i], i + 1);
    }
    CHECK_EQ(next, 0);

    /* Accesses: 1, 2 or 4 bytes, aligned, inside; only the window's fields are writable. */
    uint64_t v = 123;
    CHECK(!cap(&d, VIRTIO_PCI_CAPS_LEN, 1, false, &v));
    CHECK_EQ(v, 0);
    CHECK(!cap(&d, 0, 8, false, &v));
    CHECK(!cap(&d, 0, 16, false, &v)); /* more than a value holds */
    CHECK(!cap(&d, 0, 3, false, &v));
    CHECK(!cap(&d, 0, 0, false, &v));
    CHECK(!cap(&d, 1, 2, false, &v));
    CHECK(!cap(&d, 2, 4, false, &v));
    CHECK(!cap(&d, VIRTIO_PCI_CAPS_LEN - 2, 4, false, &v));
    CHECK(!cap(&d, ~0u, 1, false, &v));
    CHECK(cap(&d, 2, 2, false, &v));
    CHECK_EQ(v, 16 | VIRTIO_PCI_CAP_COMMON_CFG << 8);
    static const unsigned read_only[][2] = {
        { 0, 1 },
        { 1, 1 },
        { 3, 1 },
        { 4, 1 },
        { 8, 4 },
        { 12, 4 },
        { CAP_NOTIFY + 16, 4 },
        { CAP_PCI_CFG, 4 },
        { CAP_PCI_CFG + 3, 1 },
        { CFG_BAR, 2 },
        { CFG_BAR, 4 },
        { CFG_OFFSET, 2 },
        { CFG_LENGTH, 1 },
    };
    for (unsigned i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
        v = 0x5a;
        CHECK(!cap(&d, read_only[i][0], read_only[i][1], true, &v));
    }
    expect_cap(&d, b + CAP_COMMON, b + CAP_NOTIFY, 16, VIRTIO_PCI_CAP_COMMON_CFG, 4, COMMON, 0x38,
               __LINE__);
    window(&d, 4, 0x12, 2);
    expect_cap(&d, b + CAP_PCI_CFG, 0, 20, VIRTIO_PCI_CAP_PCI_CFG, 4, 0x12, 2, __LINE__);
    CHECK_EQ(g.logs, 1); /* refused accesses are the VMM's to report */
    CHECK(guest_fini(&g));

    /* Another layout: BAR 2, from 0x48, the list going on to the VMM's capability at 0xd0. */
    test_dev_setup(&dev, &g);
    d = (struct drv){ .g = &g, .dev = &dev.dev, .transport = DRV_PCI };
    CHECK(virtio_pci_init(&d.pci, &dev.dev, 2, 0x48, 0xd0, 0));
    CHECK_EQ(walk(&d, types, 8, &next), 5);
    CHECK_EQ(next, 0xd0);
    CHECK_EQ(drv_cfg_rd(&d, 0x48 + VIRTIO_PCI_CAP_NEXT, 1), 0x48 + CAP_NOTIFY);
    expect_cap(&d, 0x48 + CAP_DEVICE, 0x48 + CAP_PCI_CFG, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 2, DEVICE,
               8, __LINE__);
    for (unsigned pos = 0x48; pos != 0xd0; pos = (unsigned)drv_cfg_rd(&d, pos + 1, 1)) {
        if (drv_cfg_rd(&d, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1) != VIRTIO_PCI_CAP_PCI_CFG) {
            CHECK_EQ(drv_cfg_rd(&d, pos + VIRTIO_PCI_CAP_BAR, 1), 2);
        }
    }
    CHECK(guest_fini(&g));

    /* virtio-rng has no configuration space: no device capability, the chain skips it. */
    struct virtio_rng rng;
    guest_init(&g);
    virtio_rng_init(&rng, &g.host, &rng_backend);
    drv_init_pci(&d, &g, &rng.dev);
    CHECK_EQ(walk(&d, types, 8, &next), 4);
    CHECK_EQ(types[0], VIRTIO_PCI_CAP_COMMON_CFG);
    CHECK_EQ(types[1], VIRTIO_PCI_CAP_NOTIFY_CFG);
    CHECK_EQ(types[2], VIRTIO_PCI_CAP_ISR_CFG);
    CHECK_EQ(types[3], VIRTIO_PCI_CAP_PCI_CFG);
    CHECK_EQ(next, 0);
    expect_cap(&d, b + CAP_ISR, b + CAP_PCI_CFG, 16, VIRTIO_PCI_CAP_ISR_CFG, 4, ISR, 1, __LINE__);
    expect_cap(&d, b + CAP_NOTIFY, b + CAP_ISR, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, NOTIFY, 4,
               __LINE__);
    CHECK_EQ(d.cap[VIRTIO_PCI_CAP_DEVICE_CFG].pos, 0);
    CHECK(!drv_config(&d, 0, 1, false, &v));
    CHECK(!bar(&d, DEVICE, 1, false, &v));
    CHECK(guest_fini(&g));
}

/* Every field at its natural width, nothing else; read-only fields refuse writes. */
static void test_widths(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
    static const struct {
        uint32_t off;
        unsigned width;
    } bad[] = {
        { VIRTIO_PCI_COMMON_DF, 2 }, /* 32-bit fields */
        { VIRTIO_PCI_COMMON_DF, 1 },
        { VIRTIO_PCI_COMMON_DF, 8 },
        { VIRTIO_PCI_COMMON_DFSELECT + 2, 2 },
        { VIRTIO_PCI_COMMON_GF + 1, 1 },
        { VIRTIO_PCI_COMMON_MSIX, 4 }, /* 16-bit fields */
        { VIRTIO_PCI_COMMON_MSIX, 1 },
        { VIRTIO_PCI_COMMON_NUMQ + 1, 1 },
        { VIRTIO_PCI_COMMON_Q_SELECT, 4 },
        { VIRTIO_PCI_COMMON_Q_SIZE, 4 },
        { VIRTIO_PCI_COMMON_Q_SIZE, 1 },
        { VIRTIO_PCI_COMMON_Q_NOFF, 4 },
        { VIRTIO_PCI_COMMON_STATUS, 2 }, /* 8-bit fields */
        { VIRTIO_PCI_COMMON_STATUS, 4 },
        { VIRTIO_PCI_COMMON_CFGGENERATION, 2 },
        { VIRTIO_PCI_COMMON_Q_DESCLO, 2 }, /* 64-bit fields: 8 bytes or 4-byte halves */
        { VIRTIO_PCI_COMMON_Q_DESCLO + 2, 4 },
        { VIRTIO_PCI_COMMON_Q_DESCHI, 8 },
        { VIRTIO_PCI_COMMON_Q_USEDHI + 2, 2 },
        { VIRTIO_PCI_COMMON_Q_NDATA, 2 }, /* not offered: the structure ends at 0x38 */
        { VIRTIO_PCI_COMMON_Q_RESET, 2 },
        { 0x100, 4 },
        { 0, 3 }, /* no such width */
        { 0, 0 },
        { 0, 16 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned failures = unit_failures;
        CHECK(refused_read(&d, COMMON + bad[i].off, bad[i].width));
        CHECK(refused_write(&d, COMMON + bad[i].off, bad[i].width, 1));
        if (unit_failures != failures) {
            fprintf(stderr, "  (offset 0x%x width %u)\n", bad[i].off, bad[i].width);
        }
    }
    CHECK_EQ(drv_status(&d), 0);
    CHECK_EQ(d.pci.queue_sel, 0);
    CHECK_EQ(d.pci.config_vector, NO_VECTOR);

    /* Read-only fields. */
    CHECK(refused_write(&d, VIRTIO_PCI_COMMON_DF, 4, 0));
    CHECK(refused_write(&d, VIRTIO_PCI_COMMON_NUMQ, 2, 7));
    CHECK(refused_write(&d, VIRTIO_PCI_COMMON_CFGGENERATION, 1, 7));
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    CHECK(refused_write(&d, VIRTIO_PCI_COMMON_Q_NOFF, 2, 0));
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_CFGGENERATION, 1), 0);
    CHECK_EQ(dev.dev.device_features & 0xffffffff,
             1u << VIRTIO_RING_F_EVENT_IDX | 1u << VIRTIO_RING_F_INDIRECT_DESC | 1u << 3);
    CHECK(refused_write(&d, ISR, 1, 0));
    CHECK(refused_read(&d, NOTIFY, 2)); /* notifications are writes */
    /* A write takes the bytes of its width, nothing above them. */
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0x10000);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_STATUS, 1, 0x100 | S_ACK);
    CHECK_EQ(drv_status(&d), S_ACK);
    CHECK_EQ(g.logs, 0); /* refused accesses are the VMM's to report */
    CHECK(guest_fini(&g));
}

static void test_features(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    CHECK_EQ(drv_device_features(&d, 0),
             1u << VIRTIO_RING_F_EVENT_IDX | 1u << VIRTIO_RING_F_INDIRECT_DESC | 1u << 3);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_DFSELECT, 4), 0);
    CHECK_EQ(drv_device_features(&d, 1), 1); /* VERSION_1 is bit 32 */
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
    CHECK_EQ(drv_device_features(&d, 2), 0);
    CHECK_EQ(drv_device_features(&d, 0xffffffff), 0);
    /* The driver's features read back per word. */
    drv_common_wr(&d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_GF, 4, 1);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_GF, 4), 1);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_GF, 4), 0);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_GFSELECT, 4, 5);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_GF, 4), 0);

    /* The same status machine as virtio-mmio (device.c). */
    CHECK(!drv_negotiate(&d, F_V1 | 1ull << 5));
    CHECK(guest_logged(&g, "refused"));
    CHECK_EQ(drv_status(&d), S_ACK | S_DRIVER);
    CHECK(!drv_negotiate(&d, 1ull << 3));
    drv_set_status(&d, S_ACK | S_DRIVER | S_DRIVER_OK);
    CHECK_EQ(drv_status(&d), S_ACK | S_DRIVER);
    CHECK(drv_negotiate(&d, F_V1 | 1ull << 3));
    CHECK(virtio_has(&dev.dev, 3));
    drv_common_wr(&d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_GF, 4, 0); /* after FEATURES_OK: ignored */
    CHECK(virtio_has(&dev.dev, 3));
    CHECK(guest_logged(&g, "after FEATURES_OK"));
    drv_set_status(&d, S_ACK | S_DRIVER | S_FEATURES_OK | S_NEEDS_RESET);
    CHECK_EQ(drv_status(&d), S_ACK | S_DRIVER | S_FEATURES_OK);
    unsigned resets = dev.resets;
    drv_set_status(&d, 0);
    CHECK_EQ(drv_status(&d), 0);
    CHECK(!virtio_has(&dev.dev, 3));
    CHECK_EQ(dev.resets, resets + 1);
    CHECK_EQ(g.irqs, 0);
    CHECK(guest_fini(&g));
}

static void test_queues(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    /* After reset: the maximum size, disabled, no vector; queue i notifies at i. */
    for (unsigned i = 0; i < 2; i++) {
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, i);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTQ_MAX_SIZE);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), NO_VECTOR);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_NOFF, 2), i);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
    }
    /* A queue that does not exist: size 0 (Linux's probe stops there), nothing else. */
    static const uint16_t missing[] = { 2, 8, 0xffff };
    for (unsigned k = 0; k < 3; k++) {
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, missing[k]);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), missing[k]);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), NO_VECTOR);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_USEDHI, 4), 0);
        unsigned logs = g.logs;
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8, RAM_BASE);
        CHECK_EQ(g.logs, logs + 4);
        CHECK(guest_logged(&g, "does not exist"));
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), NO_VECTOR);
    }
    CHECK_EQ(drv_status(&d) & S_NEEDS_RESET, 0);

    /* 64-bit addresses: two halves, or 8 bytes; read either way. */
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x89abcdef);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0x01234567);
    CHECK_EQ(dev.queues[1].desc_gpa, 0x0123456789abcdefull);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0x0123456789abcdefull);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0x89abcdef);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_DESCHI, 4), 0x01234567);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, 0x1122334455667788ull);
    CHECK_EQ(dev.queues[1].avail_gpa, 0x1122334455667788ull);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_AVAILLO, 4), 0x55667788);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_AVAILHI, 4), 0x11223344);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_USEDLO, 8, 0xffffffffffffffffull);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0xaabbccdd); /* the low half stays */
    CHECK_EQ(dev.queues[1].used_gpa, 0xaabbccddffffffffull);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_USEDLO, 4, 0x1000);
    CHECK_EQ(dev.queues[1].used_gpa, 0xaabbccdd00001000ull);
    CHECK_EQ(dev.queues[0].desc_gpa, 0); /* the other queue untouched */
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 64);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 64);
    CHECK_EQ(g.logs, 12);

    /* Enabling before FEATURES_OK breaks the rules. */
    drv_set_status(&d, S_ACK | S_DRIVER);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    CHECK(guest_logged(&g, "before FEATURES_OK"));
    CHECK(drv_status(&d) & S_NEEDS_RESET);
    CHECK_EQ(g.irqs, 0);

    /* Bad sizes and a ring outside RAM break it too. */
    static const uint32_t bad_sizes[] = { 3, 2 * VIRTQ_MAX_SIZE, 0 };
    for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        CHECK(drv_negotiate(&d, F_V1));
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, bad_sizes[i]);
        CHECK(guest_logged(&g, "bad size"));
        CHECK(drv_status(&d) & S_NEEDS_RESET);
    }
    CHECK(drv_negotiate(&d, F_V1));
    drv_queue(&d, 0, 8);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8, 0x1000);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    CHECK(guest_logged(&g, "outside RAM"));
    CHECK(drv_status(&d) & S_NEEDS_RESET);

    /* A ready queue: queue_enable 0 (or anything but 1) is ignored, its configuration too. */
    CHECK(drv_negotiate(&d, F_V1));
    drv_queue(&d, 0, 8);
    drv_queue(&d, 1, VIRTQ_MAX_SIZE);
    CHECK(drv_queue_ready(&d, 0));
    CHECK(drv_queue_ready(&d, 1));
    CHECK_EQ(drv_status(&d) & S_NEEDS_RESET, 0);
    unsigned logs = g.logs;
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
    CHECK(guest_logged(&g, "queue_enable 0 ignored"));
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 2);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
    CHECK(dev.queues[1].ready);
    uint64_t desc = dev.queues[1].desc_gpa;
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 4);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0);
    CHECK(guest_logged(&g, "while ready"));
    CHECK_EQ(g.logs, logs + 4);
    CHECK_EQ(dev.queues[1].num, VIRTQ_MAX_SIZE);
    CHECK_EQ(dev.queues[1].desc_gpa, desc);
    CHECK_EQ(drv_status(&d) & S_NEEDS_RESET, 0);
    /* A reset disables every queue and gives back the maximum size. */
    drv_set_status(&d, 0);
    CHECK(!drv_queue_ready(&d, 1));
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTQ_MAX_SIZE);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
    CHECK(guest_fini(&g));
}

static void test_vectors(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d); /* 3 vectors */
    CHECK_EQ(d.pci.msix_vectors, 3);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_MSIX, 2), NO_VECTOR);
    static const struct {
        uint16_t write, read;
    } cases[] = {
        { 2, 2 }, { 3, NO_VECTOR },         { 0, 0 }, { 0xfffe, NO_VECTOR },
        { 1, 1 }, { NO_VECTOR, NO_VECTOR },
    };
    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        drv_common_wr(&d, VIRTIO_PCI_COMMON_MSIX, 2, cases[k].write);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_MSIX, 2), cases[k].read);
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, cases[k].write);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), cases[k].read);
    }
    CHECK_EQ(d.pci.queue_vector[0], NO_VECTOR);

    /* The reset gives every vector back (NO_VECTOR) and lowers INTx. */
    drv_common_wr(&d, VIRTIO_PCI_COMMON_MSIX, 2, 1);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 2);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
    g.msix_enabled = false;
    CHECK(drv_negotiate(&d, F_V1));
    drv_set_status(&d, drv_status(&d) | S_DRIVER_OK);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_MSIX, 2, 1);
    virtio_config_changed(&dev.dev);
    CHECK(g.intx);
    CHECK_EQ(g.irqs, 1);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    drv_set_status(&d, 0);
    CHECK(!g.intx);
    CHECK_EQ(dev.dev.isr, 0);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_MSIX, 2), NO_VECTOR);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
    for (unsigned i = 0; i < 2; i++) {
        drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, i);
        CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), NO_VECTOR);
    }
    CHECK_EQ(drv_isr(&d), 0);
    CHECK(guest_fini(&g));

    /* A function without MSI-X: every vector reads back NO_VECTOR. */
    test_dev_setup(&dev, &g);
    d = (struct drv){ .g = &g, .dev = &dev.dev, .transport = DRV_PCI };
    CHECK(virtio_pci_init(&d.pci, &dev.dev, 4, 0x40, 0, 0));
    d.cap[VIRTIO_PCI_CAP_COMMON_CFG].offset = COMMON;
    drv_common_wr(&d, VIRTIO_PCI_COMMON_MSIX, 2, 0);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_MSIX, 2), NO_VECTOR);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), NO_VECTOR);
    CHECK(guest_fini(&g));
}

/* Notifications: the address names the queue; 2 or 4 bytes at queue_notify_off × 4. */
static void test_notify(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    CHECK(drv_negotiate(&d, F_V1));
    drv_queue(&d, 0, 8);
    drv_queue(&d, 1, 8);
    drv_kick(&d, 1); /* before DRIVER_OK: not passed on */
    CHECK_EQ(dev.notified[1], 0);
    drv_set_status(&d, drv_status(&d) | S_DRIVER_OK);
    drv_kick(&d, 1);
    drv_kick(&d, 0);
    drv_bar_wr(&d, NOTIFY + 4, 4, 1);
    drv_bar_wr(&d, NOTIFY, 2, 1); /* the value does not matter */
    CHECK_EQ(dev.notified[0], 2);
    CHECK_EQ(dev.notified[1], 2);
    static const struct {
        uint64_t off;
        unsigned width;
    } bad[] = {
        { NOTIFY + 8, 2 }, /* queue 2 does not exist */
        { NOTIFY + 4 * 7, 2 }, { NOTIFY + 0xffc, 4 }, { NOTIFY + 2, 2 }, /* between queues */
        { NOTIFY + 1, 1 },     { NOTIFY, 1 },                            /* 16 or 32 bits only */
        { NOTIFY, 8 },         { NOTIFY, 3 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(refused_write(&d, bad[i].off, bad[i].width, 0));
    }
    CHECK_EQ(dev.notified[0], 2);
    CHECK_EQ(dev.notified[1], 2);
    CHECK_EQ(g.logs, 0);
    CHECK_EQ(drv_status(&d) & S_NEEDS_RESET, 0);
    CHECK(guest_fini(&g));
}

/* INTx: raised with an ISR bit, held while the ISR is not 0; reading the ISR clears both. */
static void test_intx(void)
{
    struct fake_guest g;
    struct virtio_rng rng;
    struct drv d;
    rng_init(&rng, &g, &d, false);
    CHECK(!g.intx);
    rng_request(&d);
    uint32_t id, len;
    CHECK(drv_used(&d, 0, &id, &len));
    CHECK(g.intx);
    CHECK_EQ(g.irqs, 1);
    CHECK_EQ(rng.dev.isr, VIRTIO_ISR_QUEUE);
    rng_request(&d); /* a level: no new edge while it is held */
    CHECK(drv_used(&d, 0, &id, &len));
    CHECK_EQ(g.irqs, 1);
    /* Refused ISR accesses change nothing. */
    CHECK(refused_read(&d, ISR, 2));
    CHECK(refused_read(&d, ISR, 4));
    CHECK(refused_read(&d, ISR + 1, 1));
    CHECK(refused_write(&d, ISR, 1, 0));
    CHECK(g.intx);
    CHECK_EQ(drv_isr(&d), VIRTIO_ISR_QUEUE);
    CHECK(!g.intx);
    CHECK_EQ(drv_isr(&d), 0);
    CHECK(!g.intx);
    /* A configuration change: bit 1; both bits together. */
    virtio_config_changed(&rng.dev);
    CHECK(g.intx);
    CHECK_EQ(g.irqs, 2);
    CHECK_EQ(drv_isr(&d), VIRTIO_ISR_CONFIG);
    CHECK(!g.intx);
    rng_request(&d);
    virtio_config_changed(&rng.dev);
    CHECK_EQ(g.irqs, 3);
    CHECK_EQ(drv_isr(&d), VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);
    CHECK(!g.intx);
    /* Read through the PCI cfg access window: cleared and lowered too. */
    rng_request(&d);
    CHECK(g.intx);
    window(&d, DRV_PCI_BAR, ISR, 1);
    CHECK_EQ(drv_cfg_rd(&d, 0x40 + CFG_DATA, 4), VIRTIO_ISR_QUEUE);
    CHECK(!g.intx);
    CHECK_EQ(drv_isr(&d), 0);
    /* A reset lowers it. */
    rng_request(&d);
    CHECK(g.intx);
    drv_set_status(&d, 0);
    CHECK(!g.intx);
    CHECK_EQ(drv_isr(&d), 0);
    /* A broken queue: NEEDS_RESET with a configuration interrupt. */
    drv_start(&d, F_V1, 1, 8);
    struct drv_buf readable[] = { { drv_alloc(&d, 16, 16), 16, false } };
    unsigned irqs = g.irqs;
    drv_add(&d, 0, readable, 1);
    drv_kick(&d, 0);
    CHECK(drv_status(&d) & S_NEEDS_RESET);
    CHECK(g.intx);
    CHECK_EQ(g.irqs, irqs + 1);
    CHECK_EQ(drv_isr(&d), VIRTIO_ISR_CONFIG);
    for (unsigned v = 0; v < DRV_MSIX_MAX; v++) {
        CHECK_EQ(g.msix[v], 0);
    }
    CHECK(guest_fini(&g));
}

/* MSI-X: each notification as the vector the driver programmed; NO_VECTOR sends nothing. */
static void test_msix(void)
{
    struct fake_guest g;
    struct virtio_rng rng;
    struct drv d;
    uint32_t id, len;
    rng_init(&rng, &g, &d, true); /* config vector 0, queue 0 vector 1 */
    rng_request(&d);
    CHECK(drv_used(&d, 0, &id, &len));
    CHECK_EQ(g.msix[1], 1);
    CHECK_EQ(g.msix[0], 0);
    CHECK_EQ(g.irqs, 1);
    CHECK(!g.intx);
    virtio_config_changed(&rng.dev);
    CHECK_EQ(g.msix[0], 1);
    CHECK_EQ(g.irqs, 2);
    /* Another vector for the queue (while it runs). */
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
    rng_request(&d);
    CHECK_EQ(g.msix[0], 2);
    CHECK_EQ(g.msix[1], 1);
    /* NO_VECTOR: the used buffer, no message and no INTx instead. */
    drv_common_wr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, NO_VECTOR);
    drv_common_wr(&d, VIRTIO_PCI_COMMON_MSIX, 2, NO_VECTOR);
    rng_request(&d);
    CHECK(drv_used(&d, 0, &id, &len));
    CHECK(drv_used(&d, 0, &id, &len));
    virtio_config_changed(&rng.dev);
    CHECK_EQ(g.irqs, 3);
    CHECK(!g.intx);
    /* MSI-X turned off by the guest: INTx, whatever the vectors. */
    drv_isr(&d);
    g.msix_enabled = false;
    virtio_config_changed(&rng.dev);
    CHECK(g.intx);
    CHECK_EQ(g.irqs, 4);
    CHECK_EQ(drv_isr(&d), VIRTIO_ISR_CONFIG);
    CHECK_EQ(g.msix[0] + g.msix[1], 3);
    CHECK(guest_fini(&g));
}

/* Bus mastering turned off after the queue runs: the device touches none of the memory its
 * queue keeps pointers to (a notification does nothing) until it is on again. */
static void test_dma_gated(void)
{
    struct fake_guest g;
    struct virtio_rng rng;
    struct drv d;
    uint32_t id, len;
    rng_init(&rng, &g, &d, true);
    g.dma_off = true;
    rng_request(&d);
    CHECK(!drv_used(&d, 0, &id, &len));
    CHECK_EQ(drv_used_ring(&d, 0)->idx, 0);
    CHECK_EQ(g.irqs, 0);
    g.dma_off = false;
    drv_kick(&d, 0);
    CHECK(drv_used(&d, 0, &id, &len));
    CHECK_EQ(g.irqs, 1);
    CHECK(guest_fini(&g));
}

/* The PCI cfg access capability: a window of 1, 2 or 4 bytes onto the BAR. */
static void test_cfg_window(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    const unsigned data = 0x40 + CFG_DATA;
    window(&d, DRV_PCI_BAR, VIRTIO_PCI_COMMON_NUMQ, 2);
    CHECK_EQ(drv_cfg_rd(&d, data, 4), 2);
    CHECK_EQ(drv_cfg_rd(&d, data, 2), 2); /* firmware reads it at the access's width */
    CHECK_EQ(drv_cfg_rd(&d, data, 1), 2);
    CHECK_EQ(drv_cfg_rd(&d, 0x40 + CFG_OFFSET, 4), VIRTIO_PCI_COMMON_NUMQ);
    CHECK_EQ(drv_cfg_rd(&d, 0x40 + CFG_LENGTH, 4), 2);
    CHECK_EQ(drv_cfg_rd(&d, 0x40 + CFG_BAR, 1), DRV_PCI_BAR);
    window(&d, DRV_PCI_BAR, VIRTIO_PCI_COMMON_DF, 4);
    CHECK_EQ(drv_cfg_rd(&d, data, 4),
             1u << VIRTIO_RING_F_EVENT_IDX | 1u << VIRTIO_RING_F_INDIRECT_DESC | 1u << 3);
    /* Writes go through it too. */
    uint64_t v = 1;
    window(&d, DRV_PCI_BAR, VIRTIO_PCI_COMMON_DFSELECT, 4);
    CHECK(cap(&d, CFG_DATA, 4, true, &v));
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
    window(&d, DRV_PCI_BAR, VIRTIO_PCI_COMMON_DF, 4);
    CHECK_EQ(drv_cfg_rd(&d, data, 4), 1);
    window(&d, DRV_PCI_BAR, VIRTIO_PCI_COMMON_Q_SELECT, 2);
    v = 1;
    CHECK(cap(&d, CFG_DATA, 2, true, &v));
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), 1);
    window(&d, DRV_PCI_BAR, VIRTIO_PCI_COMMON_STATUS, 1);
    v = 0x100 | S_ACK; /* the window's length of it */
    CHECK(cap(&d, CFG_DATA, 4, true, &v));
    CHECK_EQ(drv_status(&d), S_ACK);
    window(&d, DRV_PCI_BAR, DEVICE, 4);
    CHECK_EQ(drv_cfg_rd(&d, data, 4), 0x44332211);
    window(&d, DRV_PCI_BAR, DEVICE + 4, 2);
    CHECK_EQ(drv_cfg_rd(&d, data, 4), 0x6655);
    CHECK_EQ(g.logs, 0);

    /* A window the transport refuses: reads 0, writes nothing, one line each. */
    static const struct {
        uint8_t bar;
        uint32_t offset, length;
    } bad[] = {
        { 3, VIRTIO_PCI_COMMON_NUMQ, 2 }, /* another BAR */
        { 6, VIRTIO_PCI_COMMON_NUMQ, 2 },
        { DRV_PCI_BAR, VIRTIO_PCI_COMMON_NUMQ, 3 }, /* lengths 1, 2, 4 */
        { DRV_PCI_BAR, VIRTIO_PCI_COMMON_DF, 8 },
        { DRV_PCI_BAR, VIRTIO_PCI_COMMON_DF, 0 },
        { DRV_PCI_BAR, VIRTIO_PCI_COMMON_NUMQ + 1, 2 }, /* misaligned */
        { DRV_PCI_BAR, DEVICE + 2, 4 },
        { DRV_PCI_BAR, VIRTIO_PCI_BAR_SIZE, 4 }, /* outside the BAR */
        { DRV_PCI_BAR, 0xfffffffc, 4 },
        { DRV_PCI_BAR, VIRTIO_PCI_COMMON_NUMQ, 1 }, /* a width the field refuses */
        { DRV_PCI_BAR, ISR + 4, 4 },                /* nothing there */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned failures = unit_failures, logs = g.logs;
        window(&d, bad[i].bar, bad[i].offset, bad[i].length);
        v = 0x1234;
        CHECK(cap(&d, CFG_DATA, 4, false, &v));
        CHECK_EQ(v, 0);
        CHECK_EQ(g.logs, logs + 1);
        CHECK(guest_logged(&g, "refused"));
        v = 0;
        CHECK(cap(&d, CFG_DATA, 4, true, &v));
        CHECK_EQ(g.logs, logs + 2);
        if (unit_failures != failures) {
            fprintf(stderr, "  (window %u: bar %u offset 0x%x length %u)\n", i, bad[i].bar,
                    bad[i].offset, bad[i].length);
        }
    }
    CHECK_EQ(drv_status(&d), S_ACK);
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
    /* A read-only field written through the window: refused. */
    window(&d, DRV_PCI_BAR, VIRTIO_PCI_COMMON_NUMQ, 2);
    v = 7;
    CHECK(cap(&d, CFG_DATA, 4, true, &v));
    CHECK(guest_logged(&g, "refused"));
    CHECK_EQ(drv_common_rd(&d, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
    /* pci_cfg_data only where it starts. */
    CHECK(!cap(&d, CFG_DATA + 1, 1, false, &v));
    CHECK(!cap(&d, CFG_DATA + 2, 2, false, &v));
    CHECK(!cap(&d, CFG_DATA + 1, 1, true, &v));

    /* A notification through the window. */
    CHECK(drv_negotiate(&d, F_V1));
    drv_queue(&d, 0, 8);
    drv_set_status(&d, drv_status(&d) | S_DRIVER_OK);
    window(&d, DRV_PCI_BAR, NOTIFY, 2);
    v = 0;
    CHECK(cap(&d, CFG_DATA, 2, true, &v));
    CHECK_EQ(dev.notified[0], 1);
    CHECK(guest_fini(&g));
}

/* The device configuration at DEVICE, and the BAR's bounds. */
static void test_device_config_and_bounds(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    CHECK_EQ(drv_bar_rd(&d, DEVICE, 1), 0x11);
    CHECK_EQ(drv_bar_rd(&d, DEVICE + 2, 2), 0x4433);
    CHECK_EQ(drv_bar_rd(&d, DEVICE + 4, 4), 0x88776655);
    CHECK_EQ(drv_bar_rd(&d, DEVICE, 8), 0x8877665544332211ull);
    CHECK_EQ(drv_bar_rd(&d, DEVICE + 7, 1), 0x88);
    uint64_t v = 0;
    CHECK(drv_config(&d, 4, 4, false, &v));
    CHECK_EQ(v, 0x88776655);
    CHECK(refused_read(&d, DEVICE + 8, 1)); /* past its end */
    CHECK(refused_read(&d, DEVICE + 6, 4));
    CHECK(refused_read(&d, DEVICE + 1, 8));
    CHECK(refused_read(&d, NOTIFY - 1, 1));
    CHECK(refused_read(&d, DEVICE, 3)); /* no such width */
    CHECK(refused_read(&d, DEVICE, 0));
    CHECK(refused_read(&d, DEVICE, 16));
    drv_bar_wr(&d, DEVICE, 1, 0x5a);
    CHECK_EQ(dev.config[0], 0x5a);
    CHECK(refused_write(&d, DEVICE + 1, 1, 0)); /* the device refuses */
    CHECK_EQ(dev.config[1], 0x22);
    /* The configuration generation: the driver reads it around the configuration. */
    virtio_config_changed(&dev.dev);
    CHECK_EQ(drv_config_generation(&d), 1);
    CHECK_EQ(g.irqs, 0); /* not before DRIVER_OK */

    /* The BAR's holes and its end. */
    static const struct {
        uint64_t off;
        unsigned width;
    } bad[] = {
        { 0x38, 4 },
        { 0x100, 4 },
        { ISR - 4, 4 },
        { ISR + 1, 1 },
        { ISR + 0x800, 4 },
        { VIRTIO_PCI_BAR_SIZE, 1 },
        { VIRTIO_PCI_BAR_SIZE - 1, 2 },
        { VIRTIO_PCI_BAR_SIZE - 4, 8 },
        { VIRTIO_PCI_BAR_SIZE + 4, 4 },
        { ~0ull, 1 },
        { ~0ull - 3, 4 },
        { 1ull << 32, 4 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(refused_read(&d, bad[i].off, bad[i].width));
        CHECK(refused_write(&d, bad[i].off, bad[i].width, 0));
    }
    CHECK_EQ(g.logs, 0);
    CHECK(guest_fini(&g));
}

int main(void)
{
    test_init();
    test_capabilities();
    test_widths();
    test_features();
    test_queues();
    test_vectors();
    test_notify();
    test_intx();
    test_msix();
    test_dma_gated();
    test_cfg_window();
    test_device_config_and_bounds();
    CHECK_EQ(drv_failures, 0);
    return unit_done("test_virtio_pci");
}

// SPDX-License-Identifier: MIT
/*
 * The attacker's virtio steps (see attack.c): the transport and queue setup (on the rng),
 * descriptors and chains (on the read-only disk), block requests (both disks), indirect tables
 * (on the console's transmit queue) and frames (on the net device), then a good read.
 */
#include "attack.h"
#include <string.h>

static uint8_t ring_mem[5][VDEV_MEM] __attribute__((aligned(4096)));
static uint8_t data[0x2000] __attribute__((aligned(4096)));  /* request data */
static struct vring_desc table[256] __attribute__((aligned(4096))); /* indirect tables */

static struct vdev blk_ro = { BLK_RO, VIRTIO_ID_BLOCK, 1, ring_mem[0], { { 0 } } };
static struct vdev blk_rw = { BLK_RW, VIRTIO_ID_BLOCK, 1, ring_mem[1], { { 0 } } };
static struct vdev rng = { RNG, VIRTIO_ID_RNG, 1, ring_mem[2], { { 0 } } };
static struct vdev console = { CONSOLE, VIRTIO_ID_CONSOLE, 2, ring_mem[3], { { 0 } } };
static struct vdev net = { NET, VIRTIO_ID_NET, 2, ring_mem[4], { { 0 } } };

static uint64_t addr(const volatile void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* The data a read of n bytes from `sector` must give. */
static bool disk_data_ok(const uint8_t *p, uint64_t sector, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (p[i] != disk_byte(sector + i / 512, i % 512)) {
            return false;
        }
    }
    return true;
}

static void setup(struct vdev *d, uint64_t features)
{
    if (!vd_setup(d, features, 8)) {
        step_fail("device at 0x%lx does not set up (status 0x%x)", (unsigned long)d->base,
                  vd_status(d));
    }
}

/* ---- virtio: the transport and queue setup (on the rng) ---- */

/* After the queue setup the device must refuse: DEVICE_NEEDS_RESET, the queue not ready. */
static void want_setup_refused(struct vdev *d)
{
    step_want("DEVICE_NEEDS_RESET", (vd_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET) != 0, 1);
    vd_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    step_want("QueueReady", vd_read(d, VIRTIO_MMIO_QUEUE_READY), 0);
}

static void bad_queue_size(const char *name, uint32_t num)
{
    step_begin(name);
    if (!vd_negotiate(&rng, F_V1)) {
        step_fail("features refused");
    }
    vd_write(&rng, VIRTIO_MMIO_QUEUE_SEL, 0);
    vd_write(&rng, VIRTIO_MMIO_QUEUE_NUM, num);
    want_setup_refused(&rng);
    step_end();
}

static void bad_ring(const char *name, uint64_t desc, uint64_t avail, uint64_t used)
{
    step_begin(name);
    if (!vd_negotiate(&rng, F_V1)) {
        step_fail("features refused");
    }
    vd_queue_at(&rng, 0, 8, desc, avail, used);
    want_setup_refused(&rng);
    step_end();
}

/* One rng request for n bytes at buf (descriptor 0): the used length, or -1 if not used. */
static int64_t rng_request(uint64_t buf, uint32_t n)
{
    struct vq *q = &rng.q[0];
    vq_desc(q, 0, buf, n, WRITE, 0);
    uint16_t before = vq_used_idx(q);
    vq_submit(&rng, 0, 0);
    if (vq_used_idx(q) == before) {
        return -1;
    }
    return q->used->ring[before % q->num].len;
}

static void virtio_transport(void)
{
    step_begin("features-not-offered");
    step_want("FEATURES_OK kept", vd_negotiate(&rng, F_V1 | 1ull << 50), 0);
    step_want("Status", vd_status(&rng), S_READY);
    step_end();

    step_begin("features-without-version-1");
    step_want("FEATURES_OK kept", vd_negotiate(&rng, 0), 0);
    step_end();

    step_begin("features-after-features-ok");
    vd_negotiate(&rng, F_V1);
    vd_write(&rng, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    vd_write(&rng, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
    vd_queue(&rng, 0, 8);
    vd_write(&rng, VIRTIO_MMIO_STATUS, S_LIVE);
    memset(data, 0, 16);
    step_want("used length of a 16-byte request", (uint64_t)rng_request(addr(data), 16), 16);
    step_end();

    step_begin("status-clear-bits");
    uint32_t s = vd_status(&rng);
    vd_write(&rng, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    step_want("Status", vd_status(&rng), s);
    step_end();

    step_begin("status-set-needs-reset");
    vd_write(&rng, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_NEEDS_RESET);
    step_want("Status", vd_status(&rng), s);
    step_end();

    step_begin("queue-sel-nonexistent");
    vd_write(&rng, VIRTIO_MMIO_QUEUE_SEL, 5);
    step_want("QueueNumMax of queue 5", vd_read(&rng, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    step_want("QueueReady of queue 5", vd_read(&rng, VIRTIO_MMIO_QUEUE_READY), 0);
    vd_write(&rng, VIRTIO_MMIO_QUEUE_NUM, 8);
    vd_write(&rng, VIRTIO_MMIO_QUEUE_SEL, 0);
    step_want("QueueReady of queue 0", vd_read(&rng, VIRTIO_MMIO_QUEUE_READY), 1);
    step_end();

    step_begin("notify-nonexistent");
    vd_write(&rng, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
    step_want("Status", vd_status(&rng), s);
    step_end();

    step_begin("driver-ok-without-features-ok");
    vd_reset(&rng);
    vd_write(&rng, VIRTIO_MMIO_STATUS, S_READY);
    vd_write(&rng, VIRTIO_MMIO_STATUS, S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
    step_want("Status", vd_status(&rng), S_READY);
    step_end();

    step_begin("queue-before-features-ok");
    vd_queue(&rng, 0, 8);
    want_setup_refused(&rng);
    step_end();

    uint32_t max = (vd_reset(&rng), vd_read(&rng, VIRTIO_MMIO_QUEUE_NUM_MAX));
    bad_queue_size("queue-size-not-power-of-2", 7);
    bad_queue_size("queue-size-over-max", max * 2);
    bad_queue_size("queue-size-0", 0);
    uint64_t ok = addr(ring_mem[2]);
    bad_ring("ring-descriptors-past-ram-end", RAM_END - 16 * 8 + 16, ok + 0x1000, ok + 0x2000);
    bad_ring("ring-driver-area-at-0", ok, 0, ok + 0x2000);
    bad_ring("ring-device-area-huge", ok, ok + 0x1000, 0xfffffffffffff000ull);
    bad_ring("ring-descriptors-wrap-around", 0xfffffffffffffff0ull, ok + 0x1000, ok + 0x2000);
    bad_ring("ring-descriptors-misaligned", ok + 8, ok + 0x1000, ok + 0x2000);

    /* The rings in the last bytes of RAM are fine. */
    step_begin("ring-at-ram-end");
    vd_negotiate(&rng, F_V1);
    vd_queue_at(&rng, 0, 8, RAM_END - 16 * 8, RAM_END - 0x200, RAM_END - 0x100);
    memset((void *)(uintptr_t)(RAM_END - 0x200), 0, 0x180);
    vd_write(&rng, VIRTIO_MMIO_STATUS, S_LIVE);
    step_want("used length of a 16-byte request", (uint64_t)rng_request(RAM_END - 0x180, 16), 16);
    step_end();

    step_begin("queue-write-while-ready");
    vd_write(&rng, VIRTIO_MMIO_QUEUE_NUM, 4);
    vd_write(&rng, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
    step_want("used length of the next request", (uint64_t)rng_request(RAM_END - 0x180, 16), 16);
    step_want("Status", vd_status(&rng) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
    step_end();

    step_begin("rng-device-readable-buffer");
    setup(&rng, F_V1);
    vq_desc(&rng.q[0], 0, addr(data), 16, 0, 0);
    vq_submit(&rng, 0, 0);
    step_want("used index", vq_used_idx(&rng.q[0]), 0);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&rng), 1);
    step_end();

    /* 256 writable buffers of all of RAM each: 4 GiB in one chain, refused before any use. */
    step_begin("rng-chain-over-4-gib");
    setup(&rng, F_V1 | F_INDIRECT);
    for (unsigned i = 0; i < 256; i++) {
        table[i] = (struct vring_desc){ .addr = RAM_BASE, .len = (uint32_t)RAM_SIZE,
                                        .flags = WRITE | (i < 255 ? NEXT : 0),
                                        .next = (uint16_t)(i + 1) };
    }
    vq_desc(&rng.q[0], 0, addr(table), sizeof(table), INDIRECT, 0);
    vq_submit(&rng, 0, 0);
    step_want("used index", vq_used_idx(&rng.q[0]), 0);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&rng), 1);
    step_end();

    /* Eight overlapping 1 MiB buffers: the device fills 64 KiB (its bound per request). */
    step_begin("rng-overlapping-buffers");
    setup(&rng, F_V1);
    uint8_t *area = (uint8_t *)(uintptr_t)FREE_AREA;
    memset(area, 0, 0x20000);
    for (unsigned i = 0; i < 8; i++) {
        vq_desc(&rng.q[0], i, FREE_AREA, 0x100000, WRITE | (i < 7 ? NEXT : 0), (uint16_t)(i + 1));
    }
    vq_submit(&rng, 0, 0);
    step_want("used index", vq_used_idx(&rng.q[0]), 1);
    step_want("used length", rng.q[0].used->ring[0].len, 0x10000);
    bool untouched = true;
    for (unsigned i = 0x10000; i < 0x20000; i++) {
        untouched &= area[i] == 0;
    }
    step_want("bytes after the first 64 KiB untouched", untouched, 1);
    step_end();
}

/* ---- virtio: descriptors and chains (on the read-only disk) ---- */

static struct vq *const bq = &blk_ro.q[0];
static struct virtio_blk_outhdr *header;
static volatile uint8_t *status_byte;

/* A fresh device and a read of sector 0 prepared in the scratch page; descriptors to come. */
static void chain_begin(const char *name)
{
    step_begin(name);
    setup(&blk_ro, F_V1);
    header = (struct virtio_blk_outhdr *)vdev_scratch(&blk_ro);
    *header = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN, .sector = 0 };
    status_byte = vdev_scratch(&blk_ro) + 64;
    *status_byte = 0xaa;
    memset(data, 0x5a, sizeof(data));
}

/* Submits the chain at descriptor 0; the device must refuse it and stop the queue. */
static void chain_refused(void)
{
    vq_submit(&blk_ro, 0, 0);
    step_want("used index", vq_used_idx(bq), 0);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&blk_ro), 1);
    step_want("InterruptStatus (configuration change)",
              vd_read(&blk_ro, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG,
              VIRTIO_MMIO_INT_CONFIG);
    step_want("the status byte", *status_byte, 0xaa);
    step_want("the first data byte", data[0], 0x5a);
    step_end();
}

/* A read whose data buffer is [buf, buf + len). */
static void read_into(const char *name, uint64_t buf, uint32_t len)
{
    chain_begin(name);
    vq_desc(bq, 0, addr(header), 16, NEXT, 1);
    vq_desc(bq, 1, buf, len, WRITE | NEXT, 2);
    vq_desc(bq, 2, addr(status_byte), 1, WRITE, 0);
    chain_refused();
}

static void virtio_chains(void)
{
    read_into("desc-outside-ram", RAM_END, 512);
    read_into("desc-one-byte-past-ram", RAM_END - 511, 512);
    read_into("desc-huge-address", 0xfffffffffffff000ull, 512);
    read_into("desc-wraps-around", 0xffffffffffffff00ull, 0x200);
    read_into("desc-straddles-ram-start", RAM_BASE - 0x100, 0x200);

    chain_begin("desc-header-at-0");
    vq_desc(bq, 0, 0, 16, NEXT, 1);
    vq_desc(bq, 1, addr(status_byte), 1, WRITE, 0);
    chain_refused();

    step_begin("desc-at-ram-end");
    setup(&blk_ro, F_V1);
    uint8_t *last = (uint8_t *)(uintptr_t)(RAM_END - 512);
    memset(last, 0, 512);
    step_want("status", (uint64_t)blk_request(&blk_ro, VIRTIO_BLK_T_IN, 5, RAM_END - 512, 512),
              VIRTIO_BLK_S_OK);
    step_want("the last 512 bytes of RAM hold sector 5", disk_data_ok(last, 5, 512), 1);
    step_end();

    chain_begin("chain-loop");
    vq_desc(bq, 0, addr(header), 16, NEXT, 1);
    vq_desc(bq, 1, addr(data), 512, WRITE | NEXT, 2);
    vq_desc(bq, 2, addr(data) + 512, 512, WRITE | NEXT, 1);
    chain_refused();

    chain_begin("chain-self-loop");
    vq_desc(bq, 0, addr(header), 16, NEXT, 0);
    chain_refused();

    chain_begin("chain-next-beyond-queue");
    vq_desc(bq, 0, addr(header), 16, NEXT, 1);
    vq_desc(bq, 1, addr(data), 512, WRITE | NEXT, 8);
    chain_refused();

    chain_begin("chain-next-0xffff");
    vq_desc(bq, 0, addr(header), 16, NEXT, 0xffff);
    chain_refused();

    /* A chain as long as the queue is fine: header, six sectors, status. */
    step_begin("chain-whole-table");
    setup(&blk_ro, F_V1);
    header = (struct virtio_blk_outhdr *)vdev_scratch(&blk_ro);
    *header = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN, .sector = 10 };
    status_byte = vdev_scratch(&blk_ro) + 64;
    memset(data, 0, sizeof(data));
    vq_desc(bq, 0, addr(header), 16, NEXT, 1);
    for (unsigned i = 1; i <= 6; i++) {
        vq_desc(bq, i, addr(data) + 512 * (i - 1), 512, WRITE | NEXT, (uint16_t)(i + 1));
    }
    vq_desc(bq, 7, addr(status_byte), 1, WRITE, 0);
    vq_submit(&blk_ro, 0, 0);
    step_want("used index", vq_used_idx(bq), 1);
    step_want("used length", bq->used->ring[0].len, 6 * 512 + 1);
    step_want("status", *status_byte, VIRTIO_BLK_S_OK);
    step_want("sectors 10 to 15", disk_data_ok(data, 10, 6 * 512), 1);
    step_end();

    chain_begin("avail-entry-beyond-queue");
    bq->avail->ring[0] = 8;
    *(volatile uint16_t *)&bq->avail->idx = 1;
    barrier();
    vd_write(&blk_ro, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    bq->avail_idx = 1;
    step_want("used index", vq_used_idx(bq), 0);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&blk_ro), 1);
    step_end();

    static const uint16_t jumps[] = { 9, 0xffff };
    static const char *const jump_names[] = { "avail-index-jumps-9", "avail-index-jumps-65535" };
    for (unsigned j = 0; j < 2; j++) {
        chain_begin(jump_names[j]);
        vq_desc(bq, 0, addr(header), 16, NEXT, 1);
        vq_desc(bq, 1, addr(status_byte), 1, WRITE, 0);
        *(volatile uint16_t *)&bq->avail->idx = jumps[j];
        barrier();
        vd_write(&blk_ro, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        step_want("used index", vq_used_idx(bq), 0);
        step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&blk_ro), 1);
        step_want("the status byte", *status_byte, 0xaa);
        step_end();
    }

    chain_begin("chain-readable-after-writable");
    vq_desc(bq, 0, addr(header), 16, NEXT, 1);
    vq_desc(bq, 1, addr(data), 512, WRITE | NEXT, 2);
    vq_desc(bq, 2, addr(data) + 512, 512, NEXT, 3);
    vq_desc(bq, 3, addr(status_byte), 1, WRITE, 0);
    chain_refused();

    chain_begin("blk-status-in-read-only-buffer");
    vq_desc(bq, 0, addr(header), 16, NEXT, 1);
    vq_desc(bq, 1, addr(status_byte), 1, 0, 0);
    chain_refused();

    chain_begin("blk-header-too-short");
    vq_desc(bq, 0, addr(header), 8, NEXT, 1);
    vq_desc(bq, 1, addr(status_byte), 1, WRITE, 0);
    chain_refused();

    chain_begin("indirect-not-negotiated");
    table[0] = (struct vring_desc){ .addr = addr(header), .len = 16, .flags = NEXT, .next = 1 };
    table[1] = (struct vring_desc){ .addr = addr(status_byte), .len = 1, .flags = WRITE };
    vq_desc(bq, 0, addr(table), 32, INDIRECT, 0);
    chain_refused();

    /* Once broken, a queue serves nothing, good requests included, until the device is reset. */
    step_begin("broken-queue-stays-stopped");
    step_want("status of a good read",
              (uint64_t)blk_request(&blk_ro, VIRTIO_BLK_T_IN, 0, addr(data), 512), (uint64_t)-1);
    setup(&blk_ro, F_V1);
    step_want("status of a good read after a reset",
              (uint64_t)blk_request(&blk_ro, VIRTIO_BLK_T_IN, 0, addr(data), 512), VIRTIO_BLK_S_OK);
    step_end();

    /* A zero-length buffer is skipped wherever it points. */
    step_begin("desc-zero-length-anywhere");
    setup(&blk_ro, F_V1);
    header = (struct virtio_blk_outhdr *)vdev_scratch(&blk_ro);
    *header = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN, .sector = 1 };
    status_byte = vdev_scratch(&blk_ro) + 64;
    memset(data, 0, 512);
    vq_desc(bq, 0, addr(header), 16, NEXT, 1);
    vq_desc(bq, 1, 0xffffffff00000000ull, 0, WRITE | NEXT, 2);
    vq_desc(bq, 2, addr(data), 512, WRITE | NEXT, 3);
    vq_desc(bq, 3, addr(status_byte), 1, WRITE, 0);
    vq_submit(&blk_ro, 0, 0);
    step_want("status", *status_byte, VIRTIO_BLK_S_OK);
    step_want("sector 1", disk_data_ok(data, 1, 512), 1);
    step_end();
}

/* ---- virtio-blk requests: answered with a status, the queue goes on ---- */

static void blk_status(const char *name, struct vdev *d, uint32_t type, uint64_t sector,
                       uint32_t len, int expected)
{
    step_begin(name);
    setup(d, F_V1);
    memset(data, 0x5a, sizeof(data));
    step_want("status", (uint64_t)blk_request(d, type, sector, addr(data), len),
              (uint64_t)expected);
    if (type == VIRTIO_BLK_T_IN) {
        step_want("the first data byte", data[0], 0x5a);
    }
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(d), 0);
    step_end();
}

static void blk_requests(void)
{
    blk_status("blk-read-beyond-disk", &blk_ro, VIRTIO_BLK_T_IN, DISK_SECTORS, 512,
               VIRTIO_BLK_S_IOERR);
    blk_status("blk-read-across-disk-end", &blk_ro, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024,
               VIRTIO_BLK_S_IOERR);
    blk_status("blk-read-sector-2^64-1", &blk_ro, VIRTIO_BLK_T_IN, ~0ull, 512, VIRTIO_BLK_S_IOERR);
    blk_status("blk-read-sector-overflows-bytes", &blk_ro, VIRTIO_BLK_T_IN, 1ull << 55, 512,
               VIRTIO_BLK_S_IOERR);
    blk_status("blk-read-part-of-a-sector", &blk_ro, VIRTIO_BLK_T_IN, 0, 100, VIRTIO_BLK_S_IOERR);
    blk_status("blk-unknown-request-type", &blk_ro, 0x77, 0, 512, VIRTIO_BLK_S_UNSUPP);
    blk_status("blk-write-read-only-disk", &blk_ro, VIRTIO_BLK_T_OUT, 2, 512, VIRTIO_BLK_S_IOERR);
    blk_status("blk-write-beyond-disk", &blk_rw, VIRTIO_BLK_T_OUT, DISK_SECTORS, 512,
               VIRTIO_BLK_S_IOERR);

    /* A read into a device-readable buffer: the device must not write into it. */
    step_begin("blk-read-into-read-only-buffer");
    setup(&blk_ro, F_V1);
    memset(data, 0x5a, 512);
    header = (struct virtio_blk_outhdr *)vdev_scratch(&blk_ro);
    *header = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN, .sector = 0 };
    status_byte = vdev_scratch(&blk_ro) + 64;
    vq_desc(bq, 0, addr(header), 16, NEXT, 1);
    vq_desc(bq, 1, addr(data), 512, NEXT, 2);
    vq_desc(bq, 2, addr(status_byte), 1, WRITE, 0);
    vq_submit(&blk_ro, 0, 0);
    step_want("used index", vq_used_idx(bq), 1);
    bool untouched = true;
    for (unsigned i = 0; i < 512; i++) {
        untouched &= data[i] == 0x5a;
    }
    step_want("the read-only buffer untouched", untouched, 1);
    step_end();

    /* GET_ID into 4 bytes: 4 bytes written, not the 20 of an ID. */
    step_begin("blk-get-id-short-buffer");
    setup(&blk_ro, F_V1);
    memset(data, 0x5a, 32);
    step_want("status", (uint64_t)blk_request(&blk_ro, VIRTIO_BLK_T_GET_ID, 0, addr(data), 4),
              VIRTIO_BLK_S_OK);
    step_want("the ID's first 4 bytes", memcmp(data, "atta", 4) == 0, 1);
    step_want("the byte after them", data[4], 0x5a);
    step_end();

    /* The writable disk is the VM's own copy: the shared module is untouched. */
    step_begin("blk-write-private-copy");
    setup(&blk_rw, F_V1);
    setup(&blk_ro, F_V1);
    memset(data, 0xc3, 512);
    step_want("status of the write",
              (uint64_t)blk_request(&blk_rw, VIRTIO_BLK_T_OUT, 3, addr(data), 512),
              VIRTIO_BLK_S_OK);
    memset(data, 0, 512);
    step_want("status of the read back",
              (uint64_t)blk_request(&blk_rw, VIRTIO_BLK_T_IN, 3, addr(data), 512),
              VIRTIO_BLK_S_OK);
    step_want("the byte read back", data[511], 0xc3);
    step_want("status of the read-only disk's sector 3",
              (uint64_t)blk_request(&blk_ro, VIRTIO_BLK_T_IN, 3, addr(data), 512), VIRTIO_BLK_S_OK);
    step_want("the read-only disk's sector 3", disk_data_ok(data, 3, 512), 1);
    step_end();

    step_begin("blk-write-data-outside-ram");
    setup(&blk_rw, F_V1);
    step_want("status", (uint64_t)blk_request(&blk_rw, VIRTIO_BLK_T_OUT, 0, RAM_END - 256, 512),
              (uint64_t)-1);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&blk_rw), 1);
    step_end();
}

/* ---- virtio: indirect tables (on the console's transmit queue) ---- */

static struct vq *const tq = &console.q[1];
static const char hello[] = "attack: through an indirect table\n";

static void indirect_begin(const char *name)
{
    step_begin(name);
    setup(&console, F_V1 | F_INDIRECT);
    memset(table, 0, sizeof(table));
}

static void indirect_refused(uint64_t table_addr, uint32_t len, uint16_t flags)
{
    vq_desc(tq, 0, table_addr, len, flags, 1);
    vq_desc(tq, 1, addr(hello), 4, 0, 0);
    vq_submit(&console, 1, 0);
    step_want("used index", vq_used_idx(tq), 0);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&console), 1);
    step_end();
}

static void virtio_indirect(void)
{
    uint64_t t = addr(table);
    indirect_begin("indirect-nested");
    table[0] = (struct vring_desc){ .addr = t + 256, .len = 16, .flags = INDIRECT };
    indirect_refused(t, 16, INDIRECT);

    indirect_begin("indirect-table-outside-ram");
    indirect_refused(RAM_END - 16, 32, INDIRECT);

    indirect_begin("indirect-table-zero-length");
    table[0] = (struct vring_desc){ .addr = addr(hello), .len = 4 };
    indirect_refused(t, 0, INDIRECT);

    indirect_begin("indirect-table-length-not-16n");
    table[0] = (struct vring_desc){ .addr = addr(hello), .len = 4 };
    indirect_refused(t, 24, INDIRECT);

    indirect_begin("indirect-table-over-256-entries");
    indirect_refused(RAM_BASE, 257 * 16, INDIRECT);

    indirect_begin("indirect-with-next");
    table[0] = (struct vring_desc){ .addr = addr(hello), .len = 4 };
    indirect_refused(t, 16, INDIRECT | NEXT);

    indirect_begin("indirect-table-loop");
    table[0] = (struct vring_desc){ .addr = addr(hello), .len = 4, .flags = NEXT, .next = 1 };
    table[1] = (struct vring_desc){ .addr = addr(hello), .len = 4, .flags = NEXT, .next = 0 };
    indirect_refused(t, 64, INDIRECT);

    indirect_begin("indirect-next-beyond-table");
    table[0] = (struct vring_desc){ .addr = addr(hello), .len = 4, .flags = NEXT, .next = 2 };
    indirect_refused(t, 32, INDIRECT);

    indirect_begin("indirect-table-misaligned");
    indirect_refused(t + 4, 16, INDIRECT);

    indirect_begin("console-transmit-writable-buffer");
    vq_desc(tq, 0, addr(data), 16, WRITE, 0);
    vq_submit(&console, 1, 0);
    step_want("used index", vq_used_idx(tq), 0);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&console), 1);
    step_end();

    indirect_begin("indirect-good");
    table[0] = (struct vring_desc){ .addr = addr(hello), .len = 8, .flags = NEXT, .next = 1 };
    table[1] = (struct vring_desc){ .addr = addr(hello) + 8, .len = sizeof(hello) - 9 };
    vq_desc(tq, 0, t, 32, INDIRECT, 0);
    vq_submit(&console, 1, 0);
    step_want("used index", vq_used_idx(tq), 1);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&console), 0);
    step_end();
}

/* ---- virtio-net: the link to the neighbour ---- */

static uint8_t frame[4096] __attribute__((aligned(4096)));

/* Transmits the header and `len` bytes of frame (one descriptor); false if not used. */
static bool net_transmit(uint32_t len)
{
    struct vq *q = &net.q[1];
    vq_desc(q, 0, addr(frame), VNET_HDR_SIZE + len, 0, 0);
    uint16_t before = vq_used_idx(q);
    vq_submit(&net, 1, 0);
    return vq_used_idx(q) != before;
}

/* See attack.h (and the frame's format in guest.h). */
bool attack_virtio_signal(const char *what)
{
    if (!vd_setup(&net, F_V1, 8)) {
        return false;
    }
    memset(frame, 0, 64);
    uint8_t *eth = frame + VNET_HDR_SIZE;
    memset(eth, 0xff, 6);                                          /* broadcast */
    memcpy(eth + 6, (const uint8_t[]){ 0x02, 0x4b, 0x45, 0x45, 0x4c, 0x02 }, 6);
    eth[12] = GUEST_ETHERTYPE >> 8;
    eth[13] = GUEST_ETHERTYPE & 0xff;
    size_t n = strlen(GUEST_SIGNAL), m = strlen(what);
    memcpy(eth + 14, GUEST_SIGNAL, n);
    memcpy(eth + 14 + n, what, m);
    return net_transmit((uint32_t)(14 + n + m));
}

static void net_abuse(void)
{
    step_begin("net-frame-too-large");
    setup(&net, F_V1);
    memset(frame, 0xee, sizeof(frame));
    step_want("used", net_transmit(2000), 1);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&net), 0);
    step_end();

    step_begin("net-header-only");
    step_want("used", net_transmit(0), 1);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&net), 0);
    step_end();

    step_begin("net-shorter-than-header");
    vq_desc(&net.q[1], 0, addr(frame), 4, 0, 0);
    vq_submit(&net, 1, 0);
    step_want("used index", vq_used_idx(&net.q[1]), 2);
    step_want("DEVICE_NEEDS_RESET", vd_needs_reset(&net), 1);
    step_end();
}

/* ---- the end: the VMM still works ---- */

static void final_read(void)
{
    step_begin("final-good-read");
    struct vdev *all[] = { &blk_ro, &blk_rw, &rng, &console, &net };
    for (unsigned i = 0; i < 5; i++) {
        step_want("a device resets", vd_reset(all[i]), 1);
    }
    setup(&blk_ro, F_V1);
    memset(data, 0, 512);
    step_want("status", (uint64_t)blk_request(&blk_ro, VIRTIO_BLK_T_IN, 0, addr(data), 512),
              VIRTIO_BLK_S_OK);
    bool ok = disk_data_ok(data, 0, 512);
    step_want("sector 0", ok, 1);
    if (ok) {
        say("attack: final read of sector 0: ok\n");
    }
    step_end();
}

void attack_virtio(void)
{
    virtio_transport();
    virtio_chains();
    blk_requests();
    virtio_indirect();
    net_abuse();
    final_read();
}

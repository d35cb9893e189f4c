// SPDX-License-Identifier: MIT
/*
 * The guest of the block driver test (cmake/system_tests.cmake, vm/arm64-blk-driver): a
 * bare-metal guest whose virtio-blk is a slice of the board's disk, served by the block driver
 * program over a link (docs/devices.md). The VMM answers requests asynchronously, so a request
 * is waited for in the used ring (WFI between looks, at most REQ_WAIT_MS).
 *
 * Read-write slice: writes PATTERN to sectors 0-7 and its last sector, flushes, reads them back
 * and checks every byte; a write just past its last sector must fail (IOERR). Read-only slice
 * (VIRTIO_BLK_F_RO offered): its first sector must read as the host wrote it (ci/blk_disk.py:
 * "KEEL disk sector <n>" with n the board's sector), a write must fail. Both read the ID. The
 * host checks the board's disk image after the run (ci/blk_disk.py). Powers off with status 0
 * if all was right.
 *
 * A request that must succeed and fails with IOERR is tried again (every 20 ms, RETRIES times):
 * what a guest sees while the driver restarts (vm/arm64-blk-driver-restart); the count is said.
 */
#include "vdrv.h"
#include <string.h>

#define BLK 0x0a000000ull
#define REQ_WAIT_MS 3000
#define SECTOR 512
#define RUN 8 /* sectors written at once */
#define RETRIES 100

static uint8_t ring_mem[VDEV_MEM] __attribute__((aligned(4096)));
static uint8_t buf[RUN * SECTOR] __attribute__((aligned(4096)));
static struct vdev blk = { BLK, VIRTIO_ID_BLOCK, 1, ring_mem, { { 0 } } };

/* What the read-write guest writes to sector s of its slice (ci/blk_disk.py checks the same). */
static uint8_t pattern(uint64_t s, unsigned i)
{
    return (uint8_t)(s * 31 + i * 7 + 1);
}

/* One request (header, data of len bytes unless 0, status), waited for: its status, or -1. */
static int request(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
    struct vq *q = &blk.q[0];
    uint8_t *scratch = vdev_scratch(&blk);
    struct virtio_blk_outhdr *h = (struct virtio_blk_outhdr *)scratch;
    volatile uint8_t *status = scratch + 64;
    *h = (struct virtio_blk_outhdr){ .type = type, .sector = sector };
    *status = 0xaa;
    uint16_t data_flags = type == VIRTIO_BLK_T_OUT ? 0 : VRING_DESC_F_WRITE;
    vq_desc(q, 0, (uint64_t)(uintptr_t)h, sizeof(*h), VRING_DESC_F_NEXT, len ? 1 : 2);
    vq_desc(q, 1, (uint64_t)(uintptr_t)data, len, data_flags | VRING_DESC_F_NEXT, 2);
    vq_desc(q, 2, (uint64_t)(uintptr_t)status, 1, VRING_DESC_F_WRITE, 0);
    uint16_t before = vq_used_idx(q);
    vq_submit(&blk, 0, 0);
    uint64_t freq = counter_freq(), end = counter() + freq * REQ_WAIT_MS / 1000;
    while (vq_used_idx(q) == before) {
        if (counter() > end) {
            return -1;
        }
        guest_sleep(freq / 10000); /* 100 us; the device's interrupt ends it sooner */
    }
    vd_write(&blk, VIRTIO_MMIO_INTERRUPT_ACK, vd_read(&blk, VIRTIO_MMIO_INTERRUPT_STATUS));
    return *status;
}

static unsigned retried;

/* request(), tried again while it fails with IOERR. */
static int request_ok(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
    int s = request(type, sector, data, len);
    for (unsigned n = 0; s == VIRTIO_BLK_S_IOERR && n < RETRIES; n++) {
        retried++;
        guest_sleep(counter_freq() / 50);
        s = request(type, sector, data, len);
    }
    return s;
}

static int read_write(uint64_t capacity)
{
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = pattern(i / SECTOR, i % SECTOR);
    }
    int s0 = request_ok(VIRTIO_BLK_T_OUT, 0, buf, sizeof(buf));
    for (unsigned i = 0; i < SECTOR; i++) {
        buf[i] = pattern(capacity - 1, i);
    }
    int s1 = request_ok(VIRTIO_BLK_T_OUT, capacity - 1, buf, SECTOR);
    int s2 = request_ok(VIRTIO_BLK_T_FLUSH, 0, buf, 0);
    if (s0 != VIRTIO_BLK_S_OK || s1 != VIRTIO_BLK_S_OK || s2 != VIRTIO_BLK_S_OK) {
        say("FAIL: blkuser: writes and flush: status %d, %d, %d\n", s0, s1, s2);
        return 1;
    }
    memset(buf, 0, sizeof(buf));
    int r0 = request_ok(VIRTIO_BLK_T_IN, 0, buf, sizeof(buf));
    unsigned wrong = 0;
    for (unsigned i = 0; i < sizeof(buf); i++) {
        wrong += buf[i] != pattern(i / SECTOR, i % SECTOR);
    }
    memset(buf, 0, SECTOR);
    int r1 = request_ok(VIRTIO_BLK_T_IN, capacity - 1, buf, SECTOR);
    for (unsigned i = 0; i < SECTOR; i++) {
        wrong += buf[i] != pattern(capacity - 1, i);
    }
    if (r0 != VIRTIO_BLK_S_OK || r1 != VIRTIO_BLK_S_OK || wrong) {
        say("FAIL: blkuser: read back: status %d, %d, %u bytes wrong\n", r0, r1, wrong);
        return 1;
    }
    say("blkuser: wrote sectors 0-%u and %lu, flushed, read back: all correct\n", RUN - 1,
        (unsigned long)(capacity - 1));
    memset(buf, 0xee, SECTOR);
    int past = request(VIRTIO_BLK_T_OUT, capacity, buf, SECTOR);
    say("blkuser: write of sector %lu, past its disk: status %d\n", (unsigned long)capacity, past);
    return past == VIRTIO_BLK_S_IOERR ? 0 : 1;
}

static int read_only(void)
{
    memset(buf, 0, SECTOR);
    int r = request_ok(VIRTIO_BLK_T_IN, 0, buf, SECTOR);
    char text[32];
    memcpy(text, buf, sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    for (char *p = text; *p; p++) {
        *p = *p == '\n' ? '\0' : *p;
    }
    say("blkuser: sector 0 (status %d): \"%s\"\n", r, text);
    memset(buf, 0xee, SECTOR);
    int w = request(VIRTIO_BLK_T_OUT, 0, buf, SECTOR);
    say("blkuser: write of sector 0 on a read-only disk: status %d\n", w);
    return r == VIRTIO_BLK_S_OK && w == VIRTIO_BLK_S_IOERR ? 0 : 1;
}

int main(void)
{
    vd_write(&blk, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t offered = vd_read(&blk, VIRTIO_MMIO_DEVICE_FEATURES);
    bool ro = offered & 1u << VIRTIO_BLK_F_RO, flush = offered & 1u << VIRTIO_BLK_F_FLUSH;
    uint64_t features = 1ull << VIRTIO_F_VERSION_1 |
                        (offered & (1u << VIRTIO_BLK_F_RO | 1u << VIRTIO_BLK_F_FLUSH));
    if (!vd_setup(&blk, features, 8)) {
        say("FAIL: blkuser: cannot set up its virtio-blk\n");
        return 1;
    }
    uint64_t capacity = vd_read(&blk, 0x100) | (uint64_t)vd_read(&blk, 0x104) << 32;
    char id[VIRTIO_BLK_ID_BYTES + 1] = { 0 };
    static uint8_t idbuf[SECTOR] __attribute__((aligned(64)));
    int s = request_ok(VIRTIO_BLK_T_GET_ID, 0, idbuf, VIRTIO_BLK_ID_BYTES);
    memcpy(id, idbuf, VIRTIO_BLK_ID_BYTES);
    say("blkuser: disk of %lu sectors%s%s, id \"%s\" (status %d)\n", (unsigned long)capacity,
        ro ? ", read-only" : "", flush ? ", flush" : "", id, s);
    if (capacity < RUN + 1 || s != VIRTIO_BLK_S_OK) {
        say("FAIL: blkuser: no usable disk\n");
        return 1;
    }
    int r = ro ? read_only() : read_write(capacity);
    if (retried) {
        say("blkuser: %u requests failed (I/O error) and were tried again\n", retried);
    }
    if (r == 0) {
        say("blkuser: done\n");
    }
    return r;
}

// SPDX-License-Identifier: MIT
/*
 * Fuzz targets virtio_blk, virtio_net, virtio_console, virtio_rng: one virtio device model
 * (FUZZ_DEVICE, set by the build) behind its virtio-mmio window, driven by a guest that the
 * fuzz input plays. Guest RAM is 64 KiB between guard pages; the blk disk lies between guard
 * pages too. The input decides every register access, the bytes of RAM (descriptor tables,
 * rings, request headers) and what the backend does (console input, received frames, link).
 *
 * Input: one byte of backend options (bit 0: read-only disk; bits 1-4: disk sectors; bit 5: a
 * partial last sector; bit 6: the backend takes new receive buffers at once), then operations:
 *   0 reg width value      register write (reg: < 0x80 the word at reg * 4, 0x80-0xfe the byte
 *                          at 0x100 + reg - 0x80 (configuration space), 0xff a 16-bit offset)
 *   1 reg width            register read
 *   2 off16 n bytes...     n bytes into RAM at off16
 *   3 q i mode addr len flags next   descriptor i of queue q where its table is (mode bits 0-1:
 *                          0 a 64-bit address, else RAM + 16 bits; bit 2: 32-bit len; bit 3:
 *                          16-bit flags)
 *   4 q head16 mode        an available entry (mode bit 0: NO_INTERRUPT, bit 1: used_event
 *                          byte follows, bit 2: the index is 16 bits that follow)
 *   5 q                    QueueNotify = q
 *   6 features64 mode sizes...   the driver's start sequence (mode bit 0: features AND the
 *                          device's, bit 1: OR VERSION_1, bit 2: ring addresses follow per
 *                          queue as three 16-bit RAM offsets, else a fixed layout)
 *   7 len16 what           backend: console input / a received frame of len bytes; net what
 *                          bit 0: link down/up instead
 *   8                      device reset (status 0)
 *
 * Checked besides the sanitizers: the transport's status rules (FEATURES_OK only for features
 * the device offers with VERSION_1; DRIVER_OK only after it), interrupt status bits, every ready
 * queue's areas inside RAM, every chain taken returned (these devices answer at once), the log
 * budget, a read-only disk that stays unchanged, and no byte of RAM written by the device outside
 * the ranges it was given pointers to (rings, buffers; within RAM, where the guards do not help).
 */
#include "fuzz.h"
#include <string.h>
#include <virtio/blk.h>
#include <virtio/console.h>
#include <virtio/net.h>
#include <virtio/rng.h>

enum { FUZZ_BLK, FUZZ_NET, FUZZ_CONSOLE, FUZZ_RNG };
#ifndef FUZZ_DEVICE
#error "the build sets FUZZ_DEVICE to FUZZ_BLK, FUZZ_NET, FUZZ_CONSOLE or FUZZ_RNG"
#endif

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000ull
#define RING_AREA 0x8000ull    /* the fixed layout: queue i's rings at RING_AREA + i * 0x3000 */
#define MAX_SECTORS 16u
#define MAX_DISK (MAX_SECTORS * VIRTIO_BLK_SECTOR + VIRTIO_BLK_SECTOR - 1)

enum { OP_WRITE, OP_READ, OP_RAM, OP_DESC, OP_AVAIL, OP_NOTIFY, OP_START, OP_BACKEND, OP_RESET,
       OPS };

static struct fuzz_ram ram;
/* Guest RAM before a step, and the bytes the device has been given pointers to (a bit each). */
static uint8_t ram_before[RAM_SIZE] __attribute__((aligned(8))), mapped[RAM_SIZE / 8];
static uint8_t *disk, pristine[MAX_DISK];
static uint64_t disk_size;
static char pattern[4096];
static unsigned logs, irqs;
static bool rx_at_once;

static union {
    struct virtio_mmio mmio; /* each model starts with its transport */
    struct virtio_blk blk;
    struct virtio_net net;
    struct virtio_console con;
    struct virtio_rng rng;
} dev;

/* Marks RAM offsets [start, end) as given to the device. */
static void mark_mapped(uint64_t start, uint64_t end)
{
    for (; start < end && start % 8; start++) {
        mapped[start / 8] |= (uint8_t)(1u << (start % 8));
    }
    uint64_t whole = (end - start) / 8;
    memset(mapped + start / 8, 0xff, whole);
    for (start += whole * 8; start < end; start++) {
        mapped[start / 8] |= (uint8_t)(1u << (start % 8));
    }
}

static void *gpa_ptr(void *ctx, uint64_t gpa, uint64_t size)
{
    void *p = fuzz_ram_ptr(&ram, gpa, size);
    if (p) {
        mark_mapped(gpa - RAM_BASE, gpa - RAM_BASE + size);
    }
    return p;
}

/* Before a step in which the device may write guest RAM (a notification, backend input). */
static void snapshot(void)
{
    memcpy(ram_before, ram.ram, RAM_SIZE);
}

/* After it: the device wrote guest RAM only through pointers it was given (rings, buffers); a
 * write next to a buffer lands in the guest's own memory, where AddressSanitizer cannot see it.
 * Not instrumented for coverage: a compare per word would only slow the fuzzer down. */
__attribute__((no_sanitize("coverage"))) static void check_writes(void)
{
    const uint64_t *now = (const uint64_t *)ram.ram, *before = (const uint64_t *)ram_before;
    for (uint64_t w = 0; w < RAM_SIZE / 8; w++) {
        if (now[w] != before[w] && mapped[w] != 0xff) {
            for (uint64_t k = w * 8; k < w * 8 + 8; k++) {
                FUZZ_CHECK(ram.ram[k] == ram_before[k] || ((mapped[k / 8] >> (k % 8)) & 1));
            }
        }
    }
}

static void notify_irq(void *ctx)
{
    irqs++;
}

static void log_line(void *ctx, const char *msg)
{
    logs++;
    FUZZ_CHECK(strlen(msg) < 160); /* and AddressSanitizer checks it ends inside its buffer */
    FUZZ_CHECK(logs <= VIRTIO_LOG_BUDGET + 1);
}

/* Reads every byte the device hands out, so that AddressSanitizer checks the whole range. */
static void consume(const void *buf, size_t n)
{
    const volatile uint8_t *p = buf;
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum ^= p[i];
    }
    (void)sum;
}

static void console_write(void *ctx, const char *buf, size_t n)
{
    consume(buf, n);
}

static void net_tx(void *ctx, const void *frame, size_t len)
{
    FUZZ_CHECK(len <= VIRTIO_NET_MAX_FRAME);
    consume(frame, len);
}

static void rng_fill(void *ctx, void *buf, size_t n)
{
    memset(buf, 0x5a, n);
}

/* The backend's answer to new receive buffers: the real VMM may deliver right away, reentrantly. */
static void console_input_ready(void *ctx)
{
    if (rx_at_once) {
        virtio_console_input(&dev.con, pattern, 100);
    }
}

static void net_rx_ready(void *ctx)
{
    if (rx_at_once) {
        virtio_net_rx(&dev.net, pattern, 60);
    }
}

static void device_init(uint8_t options)
{
    struct virtio_host host = { .gpa_ptr = gpa_ptr, .notify_irq = notify_irq, .log = log_line };
    rx_at_once = options & 0x40;
    switch (FUZZ_DEVICE) {
    case FUZZ_BLK: {
        disk_size = ((options >> 1) & 15) * VIRTIO_BLK_SECTOR + ((options & 0x20) ? 100 : 0);
        for (uint64_t i = 0; i < disk_size; i++) {
            disk[i] = (uint8_t)(i * 7 + 3);
        }
        memcpy(pristine, disk, disk_size);
        struct virtio_blk_backend b = { .data = disk, .size = disk_size, .read_only = options & 1 };
        virtio_blk_init(&dev.blk, &host, &b);
        break;
    }
    case FUZZ_NET: {
        struct virtio_net_backend b = { .mac = { 2, 0, 0, 0, 0, 1 }, .tx = net_tx,
                                        .rx_ready = net_rx_ready };
        virtio_net_init(&dev.net, &host, &b);
        break;
    }
    case FUZZ_CONSOLE: {
        struct virtio_console_backend b = { .write = console_write,
                                            .input_ready = console_input_ready };
        virtio_console_init(&dev.con, &host, &b);
        break;
    }
    default: {
        struct virtio_rng_backend b = { .fill = rng_fill };
        virtio_rng_init(&dev.rng, &host, &b);
        break;
    }
    }
}

static uint64_t reg_offset(struct fuzz_in *in)
{
    uint8_t r = fuzz_u8(in);
    if (r < 0x80) {
        return r * 4u;
    }
    return r < 0xff ? VIRTIO_MMIO_CONFIG + (r - 0x80u) : fuzz_u16(in);
}

static unsigned access_width(struct fuzz_in *in)
{
    static const unsigned widths[8] = { 4, 4, 4, 1, 2, 8, 3, 0 };
    return widths[fuzz_u8(in) & 7];
}

static bool mmio(uint64_t offset, unsigned width, bool write, uint64_t value)
{
    return virtio_mmio_access(&dev.mmio, offset, width, write, &value);
}

/* The driver's start sequence: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, the queues,
 * DRIVER_OK (each step as Linux's driver does it; the device may refuse any). */
static void driver_start(struct fuzz_in *in)
{
    struct virtio_mmio *t = &dev.mmio;
    uint64_t features = fuzz_u64(in);
    uint8_t mode = fuzz_u8(in);
    if (mode & 1) {
        features &= t->device_features;
    }
    if (mode & 2) {
        features |= 1ull << VIRTIO_F_VERSION_1;
    }
    mmio(VIRTIO_MMIO_STATUS, 4, true, 0);
    mmio(VIRTIO_MMIO_STATUS, 4, true, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    mmio(VIRTIO_MMIO_STATUS, 4, true, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    for (uint32_t sel = 0; sel < 2; sel++) {
        mmio(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, true, sel);
        mmio(VIRTIO_MMIO_DRIVER_FEATURES, 4, true, (uint32_t)(features >> 32 * sel));
    }
    mmio(VIRTIO_MMIO_STATUS, 4, true, t->status | VIRTIO_CONFIG_S_FEATURES_OK);
    for (unsigned q = 0; q < t->num_queues; q++) {
        uint64_t area = RAM_BASE + RING_AREA + q * 0x3000ull;
        uint64_t desc = area, avail = area + 0x1000, used = area + 0x2000;
        unsigned num = 1u << (fuzz_u8(in) % 9);
        if (mode & 4) {
            desc = RAM_BASE + fuzz_u16(in);
            avail = RAM_BASE + fuzz_u16(in);
            used = RAM_BASE + fuzz_u16(in);
        }
        mmio(VIRTIO_MMIO_QUEUE_SEL, 4, true, q);
        mmio(VIRTIO_MMIO_QUEUE_NUM, 4, true, num);
        mmio(VIRTIO_MMIO_QUEUE_DESC_LOW, 4, true, (uint32_t)desc);
        mmio(VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, true, (uint32_t)(desc >> 32));
        mmio(VIRTIO_MMIO_QUEUE_AVAIL_LOW, 4, true, (uint32_t)avail);
        mmio(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 4, true, (uint32_t)(avail >> 32));
        mmio(VIRTIO_MMIO_QUEUE_USED_LOW, 4, true, (uint32_t)used);
        mmio(VIRTIO_MMIO_QUEUE_USED_HIGH, 4, true, (uint32_t)(used >> 32));
        mmio(VIRTIO_MMIO_QUEUE_READY, 4, true, 1);
    }
    mmio(VIRTIO_MMIO_STATUS, 4, true, t->status | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* The queue an operation names, or NULL (the guest knows where it put the rings). */
static struct virtq *queue_of(struct fuzz_in *in)
{
    uint8_t q = fuzz_u8(in);
    return q < dev.mmio.num_queues ? &dev.mmio.queues[q] : NULL;
}

static void descriptor(struct fuzz_in *in)
{
    struct virtq *q = queue_of(in);
    uint8_t i = fuzz_u8(in), mode = fuzz_u8(in);
    struct vring_desc d;
    d.addr = (mode & 3) == 0 ? fuzz_u64(in) : RAM_BASE + fuzz_u16(in);
    d.len = (mode & 4) ? fuzz_u32(in) : fuzz_u16(in);
    d.flags = (mode & 8) ? fuzz_u16(in) : fuzz_u8(in) & 7;
    d.next = fuzz_u8(in);
    if (q && q->num) {
        void *p = fuzz_ram_ptr(&ram, q->desc_gpa + 16ull * (i % q->num), 16);
        if (p) {
            memcpy(p, &d, sizeof(d));
        }
    }
}

static void available(struct fuzz_in *in)
{
    struct virtq *q = queue_of(in);
    uint16_t head = fuzz_u16(in);
    uint8_t mode = fuzz_u8(in);
    uint8_t used_event = (mode & 2) ? fuzz_u8(in) : 0;
    uint16_t raw_idx = (mode & 4) ? fuzz_u16(in) : 0;
    if (!q || !q->num) {
        return;
    }
    struct vring_avail *a = fuzz_ram_ptr(&ram, q->avail_gpa, 6 + 2ull * q->num);
    if (!a || ((uintptr_t)a & 1)) {
        return;
    }
    a->ring[a->idx % q->num] = head;
    a->idx = (mode & 4) ? raw_idx : (uint16_t)(a->idx + 1);
    a->flags = (mode & 1) ? VRING_AVAIL_F_NO_INTERRUPT : 0;
    if (mode & 2) {
        a->ring[q->num] = used_event;
    }
}

static void backend(struct fuzz_in *in)
{
    uint16_t len = fuzz_u16(in);
    uint8_t what = fuzz_u8(in);
    switch (FUZZ_DEVICE) {
    case FUZZ_CONSOLE: {
        size_t taken = virtio_console_input(&dev.con, pattern, len % sizeof(pattern));
        FUZZ_CHECK(taken <= len % sizeof(pattern));
        break;
    }
    case FUZZ_NET:
        if (what & 1) {
            virtio_net_set_link(&dev.net, what & 2);
        } else {
            virtio_net_rx(&dev.net, pattern, len % 2048);
        }
        break;
    default:
        break; /* blk and rng only answer the guest */
    }
}

/* What the transport and the rings must hold after any step of the guest. */
static void check_device(void)
{
    const struct virtio_mmio *t = &dev.mmio;
    FUZZ_CHECK((t->interrupt_status & ~3u) == 0);
    if (t->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        FUZZ_CHECK(t->status & VIRTIO_CONFIG_S_FEATURES_OK);
    }
    if (t->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        FUZZ_CHECK((t->driver_features & ~t->device_features) == 0);
        FUZZ_CHECK(virtio_mmio_has(t, VIRTIO_F_VERSION_1));
    }
    for (unsigned i = 0; i < t->num_queues; i++) {
        const struct virtq *q = &t->queues[i];
        FUZZ_CHECK(virtq_size_ok(q->num));
        if (!q->ready) {
            continue;
        }
        FUZZ_CHECK(!q->broken);
        FUZZ_CHECK(fuzz_ram_holds(&ram, q->desc, 16ull * q->num));
        FUZZ_CHECK(fuzz_ram_holds(&ram, q->avail, 6 + 2ull * q->num));
        FUZZ_CHECK(fuzz_ram_holds(&ram, q->used, 6 + 8ull * q->num));
        FUZZ_CHECK(q->last_avail == q->used_idx); /* each chain taken was given back */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    if (!ram.ram) {
        fuzz_ram_init(&ram, RAM_BASE, RAM_SIZE);
        disk = fuzz_guarded_alloc(MAX_DISK);
        memset(pattern, 'i', sizeof(pattern));
    }
    fuzz_ram_clear(&ram);
    memset(mapped, 0, sizeof(mapped));
    logs = irqs = 0;
    uint8_t options = fuzz_u8(&in);
    device_init(options);
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_WRITE: {
            uint64_t off = reg_offset(&in);
            unsigned width = access_width(&in);
            uint64_t value = width == 8 ? fuzz_u64(&in) : fuzz_u32(&in);
            bool notify = off == VIRTIO_MMIO_QUEUE_NOTIFY;
            if (notify) {
                snapshot();
            }
            mmio(off, width, true, value);
            if (notify) {
                check_writes();
            }
            break;
        }
        case OP_READ: {
            uint64_t off = reg_offset(&in), value = 0x1234;
            unsigned width = access_width(&in);
            if (!virtio_mmio_access(&dev.mmio, off, width, false, &value)) {
                FUZZ_CHECK(value == 0); /* a refused read gives 0 */
            }
            break;
        }
        case OP_RAM: {
            uint16_t off = fuzz_u16(&in);
            fuzz_ram_fill(&ram, off, &in, fuzz_u8(&in));
            break;
        }
        case OP_DESC: descriptor(&in); break;
        case OP_AVAIL: available(&in); break;
        case OP_NOTIFY:
            snapshot();
            mmio(VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, fuzz_u8(&in));
            check_writes();
            break;
        case OP_START: driver_start(&in); break;
        case OP_BACKEND:
            snapshot();
            backend(&in);
            check_writes();
            break;
        default: mmio(VIRTIO_MMIO_STATUS, 4, true, 0); break;
        }
        check_device();
    }
    if (FUZZ_DEVICE == FUZZ_BLK && dev.blk.backend.read_only) {
        FUZZ_CHECK(memcmp(disk, pristine, disk_size) == 0);
    }
    return 0;
}

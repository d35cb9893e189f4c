// SPDX-License-Identifier: MIT
/*
 * Fuzz targets virtio_blk, virtio_net, virtio_console, virtio_rng: one virtio device model
 * (FUZZ_DEVICE, set by the build) behind its virtio-mmio window or its virtio-pci structures and
 * capabilities (the input's first byte chooses), driven by a guest that the fuzz input plays.
 * Guest RAM is 64 KiB between guard pages; the blk disk lies between guard pages too. The input
 * decides every register access, the bytes of RAM (descriptor tables, rings, request headers),
 * what the backend does (console input, received frames, link) and, for virtio-pci, the
 * capability accesses (with the PCI cfg access window) and whether MSI-X or INTx is on.
 *
 * Input: one byte of options (bit 0: read-only disk; bits 1-4: disk sectors; bit 5: a partial
 * last sector; bit 6: the backend takes new receive buffers at once; bit 7: virtio-pci, else
 * virtio-mmio), then operations:
 *   0 reg width value      register write. virtio-mmio: reg < 0x80 the word at reg * 4, 0x80-0xfe
 *                          the byte at 0x100 + reg - 0x80 (configuration space). virtio-pci, in
 *                          the BAR: reg < 0x40 the common configuration's byte reg, 0x40-0x5f the
 *                          notifications' byte reg - 0x40, 0x60-0x7f the ISR's byte reg - 0x60,
 *                          0x80-0xfe the device configuration's byte reg - 0x80. Both: 0xff a
 *                          16-bit offset follows
 *   1 reg width            register read
 *   2 off16 n bytes...     n bytes into RAM at off16
 *   3 q i mode addr len flags next   descriptor i of queue q where its table is (mode bits 0-1:
 *                          0 a 64-bit address, else RAM + 16 bits; bit 2: 32-bit len; bit 3:
 *                          16-bit flags)
 *   4 q head16 mode        an available entry (mode bit 0: NO_INTERRUPT, bit 1: used_event
 *                          byte follows, bit 2: the index is 16 bits that follow)
 *   5 q                    notify queue q (QueueNotify = q; virtio-pci: 16 bits at q's address)
 *   6 features64 mode sizes...   the driver's start sequence (mode bit 0: features AND the
 *                          device's, bit 1: OR VERSION_1, bit 2: ring addresses follow per
 *                          queue as three 16-bit RAM offsets, else a fixed layout; virtio-pci:
 *                          bit 3: the configuration vector, then each queue's after its
 *                          addresses, follow as a byte (0xff NO_VECTOR), else 0 and queue + 1;
 *                          bit 4: addresses written as 8 bytes, else as two halves)
 *   7 len16 what           backend: console input / a received frame of len bytes; net what
 *                          bit 0: link down/up instead
 *   8                      device reset (status 0)
 *   9 off width flags [value32]   virtio-pci: a capability access at off (< 96, relative to the
 *                          first capability; flags bit 0: a write of value32, which follows)
 *  10 mode                 virtio-pci: the function's MSI-X enable = mode bit 0 (off: INTx)
 *
 * Checked besides the sanitizers: the transport's status rules (FEATURES_OK only for features
 * the device offers with VERSION_1; DRIVER_OK only after it), interrupt status bits, every ready
 * queue's areas inside RAM, every chain taken returned (these devices answer at once), the log
 * budget, a read-only disk that stays unchanged, and no byte of RAM written by the device outside
 * the ranges it was given pointers to (rings, buffers; within RAM, where the guards do not help).
 * virtio-pci besides: every vector in the MSI-X table or NO_VECTOR, MSI-X messages only for
 * those, INTx raised only with MSI-X off and held exactly while the ISR is not 0 (unless bits
 * came in while MSI-X was on), the capability chain intact whatever the driver writes, and a
 * refused read giving 0 in both spaces.
 */
#include "fuzz.h"
#include <string.h>
#include <virtio/blk.h>
#include <virtio/console.h>
#include <virtio/mmio.h>
#include <virtio/net.h>
#include <virtio/pci.h>
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
/* virtio-pci: the BAR's layout as pci.h draws it (test_virtio_pci checks the capabilities say
 * so), where the capabilities start, and the PCI cfg access window's data. */
enum { PCI_COMMON = 0x0000, PCI_ISR = 0x1000, PCI_DEVICE = 0x2000, PCI_NOTIFY = 0x3000 };
#define PCI_NOTIFY_MULT 4
#define PCI_BAR 4
#define PCI_CAP_BASE 0x40
#define PCI_CFG_DATA 84

enum {
    OP_WRITE,
    OP_READ,
    OP_RAM,
    OP_DESC,
    OP_AVAIL,
    OP_NOTIFY,
    OP_START,
    OP_BACKEND,
    OP_RESET,
    OP_CAP,
    OP_MSIX,
    OPS
};

static struct fuzz_ram ram;
/* Guest RAM before a step, and the bytes the device has been given pointers to (a bit each). */
static uint8_t ram_before[RAM_SIZE] __attribute__((aligned(8))), mapped[RAM_SIZE / 8];
static uint8_t *disk, pristine[MAX_DISK];
static uint64_t disk_size;
static char pattern[4096];
static unsigned logs, irqs;
static bool rx_at_once;

static union {
    struct virtio_device core; /* each model starts with it */
    struct virtio_blk blk;
    struct virtio_net net;
    struct virtio_console con;
    struct virtio_rng rng;
} dev;
static bool pci; /* the transport of this input: virtio-pci, else virtio-mmio */
static struct virtio_mmio mmio_transport;
static struct virtio_pci pci_transport;
/* virtio-pci: the PCI function around the transport. */
static bool msix_enabled, intx;
static bool isr_by_msix; /* an ISR bit came with a notification sent as MSI-X */

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
    FUZZ_CHECK(!pci);
    irqs++;
}

/* The function's MSI-X table has pci_transport.msix_vectors entries; NO_VECTOR sends nothing. */
static bool notify_msix(void *ctx, uint16_t vector)
{
    FUZZ_CHECK(pci);
    FUZZ_CHECK(vector < pci_transport.msix_vectors || vector == VIRTIO_PCI_NO_VECTOR);
    if (!msix_enabled) {
        return false;
    }
    irqs += vector != VIRTIO_PCI_NO_VECTOR;
    isr_by_msix = true;
    return true;
}

static void set_intx(void *ctx, bool level)
{
    FUZZ_CHECK(pci);
    FUZZ_CHECK(!level || !msix_enabled); /* INTx only when MSI-X is off */
    irqs += level && !intx;
    intx = level;
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
    struct virtio_host host = { .gpa_ptr = gpa_ptr,
                                .notify_irq = notify_irq,
                                .notify_msix = notify_msix,
                                .set_intx = set_intx,
                                .log = log_line };
    rx_at_once = options & 0x40;
    pci = options & 0x80;
    msix_enabled = true; /* as Linux turns it on */
    intx = isr_by_msix = false;
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
    if (pci) {
        FUZZ_CHECK(virtio_pci_init(&pci_transport, &dev.core, PCI_BAR, PCI_CAP_BASE, 0,
                                   dev.core.num_queues + 1));
    } else {
        virtio_mmio_init(&mmio_transport, &dev.core);
    }
}

static uint64_t reg_offset(struct fuzz_in *in)
{
    uint8_t r = fuzz_u8(in);
    if (r == 0xff) {
        return fuzz_u16(in);
    }
    if (!pci) {
        return r < 0x80 ? r * 4u : VIRTIO_MMIO_CONFIG + (r - 0x80u);
    }
    if (r < 0x40) {
        return PCI_COMMON + r;
    }
    if (r < 0x60) {
        return PCI_NOTIFY + (r - 0x40u);
    }
    return r < 0x80 ? PCI_ISR + (r - 0x60u) : PCI_DEVICE + (r - 0x80u);
}

static unsigned access_width(struct fuzz_in *in)
{
    static const unsigned widths[8] = { 4, 4, 4, 1, 2, 8, 3, 0 };
    return widths[fuzz_u8(in) & 7];
}

/* One access to the device's registers: the virtio-mmio window or the virtio-pci BAR. */
static bool reg_access(uint64_t offset, unsigned width, bool write, uint64_t *value)
{
    return pci ? virtio_pci_bar_access(&pci_transport, offset, width, write, value)
               : virtio_mmio_access(&mmio_transport, offset, width, write, value);
}

static bool reg(uint64_t offset, unsigned width, bool write, uint64_t value)
{
    return reg_access(offset, width, write, &value);
}

/* Whether a write at offset notifies (the device may then write RAM). */
static bool notifies(uint64_t offset)
{
    return pci ? offset >= PCI_NOTIFY && offset < VIRTIO_PCI_BAR_SIZE
               : offset == VIRTIO_MMIO_QUEUE_NOTIFY;
}

static void set_status(uint32_t status)
{
    if (pci) {
        reg(PCI_COMMON + VIRTIO_PCI_COMMON_STATUS, 1, true, status);
    } else {
        reg(VIRTIO_MMIO_STATUS, 4, true, status);
    }
}

static void notify(uint8_t q)
{
    if (pci) {
        reg(PCI_NOTIFY + PCI_NOTIFY_MULT * q, 2, true, q);
    } else {
        reg(VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, q);
    }
}

/* A vector from the input: 0xff is NO_VECTOR (others may lie beyond the table). */
static uint16_t vector_of(struct fuzz_in *in)
{
    uint8_t v = fuzz_u8(in);
    return v == 0xff ? VIRTIO_PCI_NO_VECTOR : v;
}

/* virtio-pci: the common configuration's 64-bit field at off, as 8 bytes or two halves. */
static void pci_wr64(uint32_t off, uint64_t v, bool whole)
{
    if (whole) {
        reg(PCI_COMMON + off, 8, true, v);
    } else {
        reg(PCI_COMMON + off, 4, true, (uint32_t)v);
        reg(PCI_COMMON + off + 4, 4, true, (uint32_t)(v >> 32));
    }
}

/* Queue q's setup as Linux's drivers write it. */
static void queue_setup(unsigned q, unsigned num, uint64_t desc, uint64_t avail, uint64_t used,
                        uint16_t vector, uint8_t mode)
{
    if (pci) {
        reg(PCI_COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 2, true, q);
        reg(PCI_COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2, true, num);
        pci_wr64(VIRTIO_PCI_COMMON_Q_DESCLO, desc, mode & 16);
        pci_wr64(VIRTIO_PCI_COMMON_Q_AVAILLO, avail, mode & 16);
        pci_wr64(VIRTIO_PCI_COMMON_Q_USEDLO, used, mode & 16);
        reg(PCI_COMMON + VIRTIO_PCI_COMMON_Q_MSIX, 2, true, vector);
        reg(PCI_COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 2, true, 1);
        return;
    }
    reg(VIRTIO_MMIO_QUEUE_SEL, 4, true, q);
    reg(VIRTIO_MMIO_QUEUE_NUM, 4, true, num);
    reg(VIRTIO_MMIO_QUEUE_DESC_LOW, 4, true, (uint32_t)desc);
    reg(VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, true, (uint32_t)(desc >> 32));
    reg(VIRTIO_MMIO_QUEUE_AVAIL_LOW, 4, true, (uint32_t)avail);
    reg(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 4, true, (uint32_t)(avail >> 32));
    reg(VIRTIO_MMIO_QUEUE_USED_LOW, 4, true, (uint32_t)used);
    reg(VIRTIO_MMIO_QUEUE_USED_HIGH, 4, true, (uint32_t)(used >> 32));
    reg(VIRTIO_MMIO_QUEUE_READY, 4, true, 1);
}

/* The driver's start sequence: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, the queues,
 * DRIVER_OK (each step as Linux's driver does it; the device may refuse any). */
static void driver_start(struct fuzz_in *in)
{
    struct virtio_device *t = &dev.core;
    uint64_t features = fuzz_u64(in);
    uint8_t mode = fuzz_u8(in);
    if (mode & 1) {
        features &= t->device_features;
    }
    if (mode & 2) {
        features |= 1ull << VIRTIO_F_VERSION_1;
    }
    set_status(0);
    set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    for (uint32_t sel = 0; sel < 2; sel++) {
        uint32_t word = (uint32_t)(features >> 32 * sel);
        if (pci) {
            reg(PCI_COMMON + VIRTIO_PCI_COMMON_GFSELECT, 4, true, sel);
            reg(PCI_COMMON + VIRTIO_PCI_COMMON_GF, 4, true, word);
        } else {
            reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, true, sel);
            reg(VIRTIO_MMIO_DRIVER_FEATURES, 4, true, word);
        }
    }
    set_status(t->status | VIRTIO_CONFIG_S_FEATURES_OK);
    bool vectors = pci && (mode & 8);
    if (pci) {
        reg(PCI_COMMON + VIRTIO_PCI_COMMON_MSIX, 2, true, vectors ? vector_of(in) : 0);
    }
    for (unsigned q = 0; q < t->num_queues; q++) {
        uint64_t area = RAM_BASE + RING_AREA + q * 0x3000ull;
        uint64_t desc = area, avail = area + 0x1000, used = area + 0x2000;
        unsigned num = 1u << (fuzz_u8(in) % 9);
        if (mode & 4) {
            desc = RAM_BASE + fuzz_u16(in);
            avail = RAM_BASE + fuzz_u16(in);
            used = RAM_BASE + fuzz_u16(in);
        }
        uint16_t vector = vectors ? vector_of(in) : (uint16_t)(q + 1);
        queue_setup(q, num, desc, avail, used, vector, mode);
    }
    set_status(t->status | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* The queue an operation names, or NULL (the guest knows where it put the rings). */
static struct virtq *queue_of(struct fuzz_in *in)
{
    uint8_t q = fuzz_u8(in);
    return q < dev.core.num_queues ? &dev.core.queues[q] : NULL;
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
    const struct virtio_device *t = &dev.core;
    FUZZ_CHECK((t->isr & ~3u) == 0);
    if (t->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        FUZZ_CHECK(t->status & VIRTIO_CONFIG_S_FEATURES_OK);
    }
    if (t->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        FUZZ_CHECK((t->driver_features & ~t->device_features) == 0);
        FUZZ_CHECK(virtio_has(t, VIRTIO_F_VERSION_1));
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

/* virtio-pci after any step: vectors in the table, INTx following the ISR. */
static void check_pci(void)
{
    const struct virtio_pci *p = &pci_transport;
    FUZZ_CHECK(p->config_vector < p->msix_vectors || p->config_vector == VIRTIO_PCI_NO_VECTOR);
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
        FUZZ_CHECK(p->queue_vector[i] < p->msix_vectors ||
                   p->queue_vector[i] == VIRTIO_PCI_NO_VECTOR);
    }
    if (dev.core.isr == 0) {
        isr_by_msix = false;
    }
    FUZZ_CHECK(!intx || dev.core.isr != 0); /* lowered by the ISR read that clears it */
    if (!msix_enabled && !isr_by_msix) {
        FUZZ_CHECK(intx == (dev.core.isr != 0));
    }
}

/* virtio-pci: the capability chain, whatever the driver wrote into the capabilities. */
static void check_caps(void)
{
    static const uint8_t with_device[] = { 1, 2, 3, 4, 5 }, without[] = { 1, 2, 3, 5 };
    bool has_device = dev.core.config_size != 0;
    const uint8_t *types = has_device ? with_device : without;
    unsigned n = has_device ? 5 : 4, pos = PCI_CAP_BASE;
    for (unsigned i = 0; i < n; i++) {
        uint64_t vndr, type, bar, next;
        unsigned off = pos - PCI_CAP_BASE;
        FUZZ_CHECK(pos >= PCI_CAP_BASE && off < VIRTIO_PCI_CAPS_LEN);
        FUZZ_CHECK(virtio_pci_cap_access(&pci_transport, off, 1, false, &vndr) && vndr == 0x09);
        FUZZ_CHECK(virtio_pci_cap_access(&pci_transport, off + 3, 1, false, &type) &&
                   type == types[i]);
        FUZZ_CHECK(virtio_pci_cap_access(&pci_transport, off + 4, 1, false, &bar));
        FUZZ_CHECK(type == VIRTIO_PCI_CAP_PCI_CFG || bar == PCI_BAR);
        FUZZ_CHECK(virtio_pci_cap_access(&pci_transport, off + 1, 1, false, &next));
        pos = (unsigned)next;
    }
    FUZZ_CHECK(pos == 0); /* cap_next */
}

/* virtio-pci: one capability access (the PCI cfg access window among them). */
static void capability(struct fuzz_in *in)
{
    unsigned off = fuzz_u8(in) % (VIRTIO_PCI_CAPS_LEN + 8);
    unsigned width = access_width(in);
    bool write = fuzz_u8(in) & 1;
    uint64_t value = write ? fuzz_u32(in) : 0x1234;
    if (!pci) {
        return;
    }
    if (!write) {
        if (!virtio_pci_cap_access(&pci_transport, off, width, false, &value)) {
            FUZZ_CHECK(value == 0); /* a refused read gives 0 */
        }
        return;
    }
    bool window = off == PCI_CFG_DATA; /* may notify through the window */
    if (window) {
        snapshot();
    }
    virtio_pci_cap_access(&pci_transport, off, width, true, &value);
    if (window) {
        check_writes();
    }
    check_caps();
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
            bool notify = notifies(off);
            if (notify) {
                snapshot();
            }
            reg(off, width, true, value);
            if (notify) {
                check_writes();
            }
            break;
        }
        case OP_READ: {
            uint64_t off = reg_offset(&in), value = 0x1234;
            unsigned width = access_width(&in);
            if (!reg_access(off, width, false, &value)) {
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
            notify(fuzz_u8(&in));
            check_writes();
            break;
        case OP_START: driver_start(&in); break;
        case OP_BACKEND:
            snapshot();
            backend(&in);
            check_writes();
            break;
        case OP_RESET:
            set_status(0);
            break;
        case OP_CAP:
            capability(&in);
            break;
        default: /* OP_MSIX */
            msix_enabled = fuzz_u8(&in) & 1;
            break;
        }
        check_device();
        if (pci) {
            check_pci();
        }
    }
    if (FUZZ_DEVICE == FUZZ_BLK && dev.blk.backend.read_only) {
        FUZZ_CHECK(memcmp(disk, pristine, disk_size) == 0);
    }
    return 0;
}

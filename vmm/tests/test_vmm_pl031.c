// SPDX-License-Identifier: MIT
/*
 * Host tests of the VMM's PL031 real-time clock (vmm/dev/rtc_pl031.c): every register at power
 * on, the ID registers (32-bit and EDK2's byte reads), the count on advancing ticks and loads of
 * it (the seconds keep the ticks' phase), the match interrupt (counting into RTCMR, a write
 * making them equal, a load jumping over it, a match found long after, clearing, masking),
 * rtc_pl031_poll's level and next event, refused widths and offsets (nothing changes), RTCCR's
 * start bit (it cannot be stopped, a write does not touch the count), a reset (registers back,
 * the time kept), the count's wrap at 2^32 seconds; then the device from a device tree node
 * with its line and reset hook, and the nodes it refuses. The VM's services are fakes below;
 * the device's file-scope state comes back to its start through fuzz/reset/rtc_pl031.c, which
 * this test links instead of the device's file (it includes it), as the fuzz targets do.
 */
#include "unit.h"
#include "vm.h"
#include "platform.h"
#include "dev/rtc_pl031.h"
#include <keel/rt.h>
#include "reset.h" /* fuzz/reset/: the device's file-scope state back to its start */
#include <libfdt.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;

#define HZ 1000ull        /* the model's ticks a second in the model tests */
#define EPOCH 1767225600u /* 2026-01-01 00:00 UTC */
#define DR 0x000
#define MR 0x004
#define LR 0x008
#define CR 0x00c
#define IMSC 0x010
#define RIS 0x014
#define MIS 0x018
#define ICR 0x01c

/* The model's register at off (a 32-bit read that must succeed). */
static uint32_t rd(struct rtc_pl031 *r, uint64_t off, uint64_t now)
{
    uint64_t v = 0xdeadbeefdeadbeefull;
    CHECK(rtc_pl031_access(r, off, 4, false, &v, now));
    CHECK(v <= UINT32_MAX);
    return (uint32_t)v;
}

static void wr(struct rtc_pl031 *r, uint64_t off, uint64_t v, uint64_t now)
{
    CHECK(rtc_pl031_access(r, off, 4, true, &v, now));
}

/* Every register but RTCDR, for checking that a refused access changed nothing. */
struct regs {
    uint32_t mr, lr, cr, imsc, ris, mis;
};

static struct regs regs_of(struct rtc_pl031 *r, uint64_t now)
{
    return (struct regs){ rd(r, MR, now),   rd(r, LR, now),  rd(r, CR, now),
                          rd(r, IMSC, now), rd(r, RIS, now), rd(r, MIS, now) };
}

static bool regs_eq(struct regs a, struct regs b)
{
    return a.mr == b.mr && a.lr == b.lr && a.cr == b.cr && a.imsc == b.imsc && a.ris == b.ris &&
           a.mis == b.mis;
}

static void test_power_on(void)
{
    struct rtc_pl031 r;
    rtc_pl031_init(&r, HZ, EPOCH, 12345);
    CHECK_EQ(rd(&r, DR, 12345), EPOCH);
    CHECK_EQ(rd(&r, MR, 12345), 0);
    CHECK_EQ(rd(&r, LR, 12345), 0);
    CHECK_EQ(rd(&r, CR, 12345), 1); /* started from power on */
    CHECK_EQ(rd(&r, IMSC, 12345), 0);
    CHECK_EQ(rd(&r, RIS, 12345), 0);
    CHECK_EQ(rd(&r, MIS, 12345), 0);
    uint64_t v = 7;
    CHECK(!rtc_pl031_access(&r, ICR, 4, false, &v, 12345)); /* write-only */
    CHECK_EQ(v, 7);
    CHECK_EQ(rtc_pl031_count(&r, 12345), EPOCH);
}

static void test_ids(void)
{
    static const uint8_t ids[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
    struct rtc_pl031 r;
    rtc_pl031_init(&r, HZ, EPOCH, 0);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t off = 0xfe0 + 4 * i, v = 0;
        CHECK_EQ(rd(&r, off, 0), ids[i]);
        CHECK(rtc_pl031_access(&r, off, 1, false, &v, 0)); /* EDK2's MmioRead8 */
        CHECK_EQ(v, ids[i]);
        v = ids[i];
        CHECK(!rtc_pl031_access(&r, off, 4, true, &v, 0)); /* read-only */
        CHECK(!rtc_pl031_access(&r, off, 1, true, &v, 0));
        CHECK(!rtc_pl031_access(&r, off, 2, false, &v, 0));
        CHECK(!rtc_pl031_access(&r, off, 8, false, &v, 0));
        CHECK(!rtc_pl031_access(&r, off + 1, 1, false, &v, 0)); /* not the register's start */
        CHECK_EQ(rd(&r, off, 0), ids[i]);
    }
    /* The PrimeCell ID as Linux's AMBA bus assembles it, and the peripheral ID it matches. */
    uint32_t cid = 0, pid = 0;
    for (unsigned i = 0; i < 4; i++) {
        pid |= rd(&r, 0xfe0 + 4 * i, 0) << (8 * i);
        cid |= rd(&r, 0xff0 + 4 * i, 0) << (8 * i);
    }
    CHECK_EQ(cid, 0xb105f00d);
    CHECK_EQ(pid & 0x000fffff, 0x00041031);
    /* Not a byte read elsewhere: the 32-bit registers take 32-bit accesses only. */
    uint64_t v = 0;
    CHECK(!rtc_pl031_access(&r, DR, 1, false, &v, 0));
    CHECK(!rtc_pl031_access(&r, 0xfdc, 1, false, &v, 0));
}

static void test_count(void)
{
    struct rtc_pl031 r;
    rtc_pl031_init(&r, HZ, EPOCH, 0);
    CHECK_EQ(rd(&r, DR, HZ - 1), EPOCH);
    CHECK_EQ(rd(&r, DR, HZ), EPOCH + 1);
    CHECK_EQ(rd(&r, DR, 100 * HZ + 999), EPOCH + 100);
    /* A load half-way through a second: the count goes on at the ticks' next whole second, as
     * the hardware's counter at its 1 Hz clock's next edge. */
    uint64_t t = 200 * HZ + HZ / 2;
    wr(&r, LR, 1000000, t);
    CHECK_EQ(rd(&r, LR, t), 1000000);
    CHECK_EQ(rd(&r, DR, t), 1000000);
    CHECK_EQ(rd(&r, DR, 201 * HZ - 1), 1000000);
    CHECK_EQ(rd(&r, DR, 201 * HZ), 1000001);
    CHECK_EQ(rd(&r, DR, 3801 * HZ), 1003601);
    CHECK_EQ(rd(&r, LR, 3801 * HZ), 1000000); /* the value loaded, not the count */
    /* Loading it back into the past. */
    wr(&r, LR, 5, 4000 * HZ);
    CHECK_EQ(rd(&r, DR, 4000 * HZ), 5);
    CHECK_EQ(rd(&r, DR, 4010 * HZ), 15);
    /* RTCDR is read-only. */
    uint64_t v = 99;
    CHECK(!rtc_pl031_access(&r, DR, 4, true, &v, 4010 * HZ));
    CHECK_EQ(rd(&r, DR, 4010 * HZ), 15);
    /* Another clock rate: the kernel's 62.5 MHz, an hour on. */
    rtc_pl031_init(&r, 62500000, EPOCH, 62500000ull * 10 + 1);
    CHECK_EQ(rd(&r, DR, 62500000ull * 3610 + 1), EPOCH + 3600);
}

static void test_match(void)
{
    struct rtc_pl031 r;
    rtc_pl031_init(&r, HZ, 1000, 0);
    /* Counting into it: the second the count becomes RTCMR. */
    wr(&r, MR, 1003, 0);
    CHECK_EQ(rd(&r, RIS, 3 * HZ - 1), 0);
    CHECK_EQ(rd(&r, RIS, 3 * HZ), 1);
    CHECK_EQ(rd(&r, MIS, 3 * HZ), 0); /* masked */
    wr(&r, IMSC, 1, 3 * HZ);
    CHECK_EQ(rd(&r, IMSC, 3 * HZ), 1);
    CHECK_EQ(rd(&r, MIS, 3 * HZ), 1);
    wr(&r, IMSC, 0xfffffffe, 3 * HZ); /* bit 0 only */
    CHECK_EQ(rd(&r, IMSC, 3 * HZ), 0);
    CHECK_EQ(rd(&r, MIS, 3 * HZ), 0);
    CHECK_EQ(rd(&r, RIS, 3 * HZ), 1);
    wr(&r, IMSC, 1, 3 * HZ);
    /* RTCICR: bit 0 clears it, other bits do nothing; it does not come back in that second. */
    wr(&r, ICR, 0xfffffffe, 3 * HZ);
    CHECK_EQ(rd(&r, RIS, 3 * HZ), 1);
    wr(&r, ICR, 1, 3 * HZ + 1);
    CHECK_EQ(rd(&r, RIS, 3 * HZ + 1), 0);
    CHECK_EQ(rd(&r, MIS, 3 * HZ + 1), 0);
    CHECK_EQ(rd(&r, RIS, 4 * HZ - 1), 0);
    CHECK_EQ(rd(&r, RIS, 100 * HZ), 0); /* (long past it) */
    /* A write of RTCMR equal to the count is a match at once. */
    wr(&r, MR, rd(&r, DR, 100 * HZ), 100 * HZ);
    CHECK_EQ(rd(&r, RIS, 100 * HZ), 1);
    wr(&r, ICR, 1, 100 * HZ);
    /* A load onto RTCMR is one too; a load jumping over it is none. */
    wr(&r, MR, 5000, 101 * HZ);
    wr(&r, LR, 5000, 101 * HZ);
    CHECK_EQ(rd(&r, RIS, 101 * HZ), 1);
    wr(&r, ICR, 1, 101 * HZ);
    wr(&r, LR, 4000, 102 * HZ);
    wr(&r, LR, 6000, 102 * HZ);
    CHECK_EQ(rd(&r, RIS, 110 * HZ), 0);
    /* Passed while nobody looked: seen at the next access, however late. */
    wr(&r, MR, 6020, 110 * HZ); /* count 6008 */
    CHECK_EQ(rd(&r, DR, 110 * HZ), 6008);
    CHECK_EQ(rd(&r, DR, 5000 * HZ), 6008 + 4890); /* (reading RTCDR looks too) */
    CHECK_EQ(rd(&r, RIS, 5000 * HZ), 1);
    wr(&r, ICR, 1, 5000 * HZ);
    /* A match seen by a write's access is kept, whatever the write does next. */
    wr(&r, MR, 11000, 5000 * HZ); /* count 10898 */
    wr(&r, MR, 1, 5200 * HZ);     /* (the count passed 11000 before this write) */
    CHECK_EQ(rd(&r, RIS, 5200 * HZ), 1);
}

static void test_poll(void)
{
    struct rtc_pl031 r;
    uint64_t next = 0;
    rtc_pl031_init(&r, HZ, 1000, 0);
    /* Disabled: no level, no event. */
    CHECK(!rtc_pl031_poll(&r, 0, &next));
    CHECK_EQ(next, UINT64_MAX);
    /* Enabled: the tick of the second the count reaches RTCMR. */
    wr(&r, MR, 1010, 0);
    wr(&r, IMSC, 1, 0);
    CHECK(!rtc_pl031_poll(&r, 500, &next));
    CHECK_EQ(next, 10 * HZ);
    CHECK(!rtc_pl031_poll(&r, 10 * HZ - 1, &next));
    CHECK_EQ(next, 10 * HZ);
    CHECK(rtc_pl031_poll(&r, 10 * HZ, &next)); /* the poll itself finds the match */
    CHECK_EQ(next, UINT64_MAX);                /* high: only an access lowers it */
    CHECK_EQ(rd(&r, RIS, 10 * HZ), 1);
    CHECK(rtc_pl031_poll(&r, 11 * HZ, &next));
    wr(&r, ICR, 1, 11 * HZ);
    /* The count is past RTCMR: the next match is after the wrap, 2^32 - 1 seconds on. */
    CHECK(!rtc_pl031_poll(&r, 11 * HZ, &next));
    CHECK_EQ(next, (11 + (1ull << 32) - 1) * HZ);
    /* Equal now, and cleared: 2^32 seconds on. */
    wr(&r, MR, 1011, 11 * HZ);
    wr(&r, ICR, 1, 11 * HZ);
    CHECK(!rtc_pl031_poll(&r, 11 * HZ + 7, &next));
    CHECK_EQ(next, (11 + (1ull << 32)) * HZ);
    /* Masked while raw is set: low, and no event. */
    wr(&r, MR, 1012, 11 * HZ);
    wr(&r, IMSC, 0, 11 * HZ);
    CHECK(!rtc_pl031_poll(&r, 12 * HZ, &next));
    CHECK_EQ(next, UINT64_MAX);
    CHECK_EQ(rd(&r, RIS, 12 * HZ), 1);
    wr(&r, IMSC, 1, 12 * HZ);
    CHECK(rtc_pl031_poll(&r, 12 * HZ, &next));
    /* An event past the ticks' range: none. */
    struct rtc_pl031 f;
    uint64_t freq = 1ull << 40, now = UINT64_MAX - (1ull << 41);
    rtc_pl031_init(&f, freq, 0, now);
    wr(&f, MR, 0x1000, now);
    wr(&f, IMSC, 1, now);
    CHECK(!rtc_pl031_poll(&f, now, &next));
    CHECK_EQ(next, UINT64_MAX);
}

static void test_refused(void)
{
    struct rtc_pl031 r;
    uint64_t t = 50 * HZ;
    rtc_pl031_init(&r, HZ, 1000, 0);
    wr(&r, MR, 2000, t);
    wr(&r, LR, 1500, t);
    wr(&r, IMSC, 1, t);
    struct regs before = regs_of(&r, t);
    uint32_t count = rd(&r, DR, t);
    static const unsigned widths[] = { 1, 2, 8 };
    static const uint64_t regs[] = { DR, MR, LR, CR, IMSC, RIS, MIS, ICR };
    for (unsigned w = 0; w < 3; w++) {
        for (unsigned i = 0; i < 8; i++) {
            uint64_t v = 1;
            CHECK(!rtc_pl031_access(&r, regs[i], widths[w], true, &v, t));
            v = 0x55;
            CHECK(!rtc_pl031_access(&r, regs[i], widths[w], false, &v, t));
            CHECK_EQ(v, 0x55);
        }
    }
    static const uint64_t bad[] = { 0x002, 0x005, 0x00a, 0x01e,  0x020,  0x024,         0x100,
                                    0x800, 0xfdc, 0xfe2, 0x1000, 0x1004, UINT64_MAX - 3 };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 1;
        CHECK(!rtc_pl031_access(&r, bad[i], 4, true, &v, t));
        v = 0x55;
        CHECK(!rtc_pl031_access(&r, bad[i], 4, false, &v, t));
        CHECK_EQ(v, 0x55);
    }
    /* The read-only registers refuse writes. */
    static const uint64_t ro[] = { DR, RIS, MIS };
    for (unsigned i = 0; i < 3; i++) {
        uint64_t v = 0;
        CHECK(!rtc_pl031_access(&r, ro[i], 4, true, &v, t));
        v = 0xffffffff;
        CHECK(!rtc_pl031_access(&r, ro[i], 4, true, &v, t));
    }
    CHECK(regs_eq(regs_of(&r, t), before));
    CHECK_EQ(rd(&r, DR, t), count);
}

static void test_start_bit(void)
{
    struct rtc_pl031 r;
    rtc_pl031_init(&r, HZ, 1000, 0);
    CHECK_EQ(rd(&r, CR, 0), 1);
    wr(&r, CR, 0, 5 * HZ); /* cannot be stopped */
    CHECK_EQ(rd(&r, CR, 5 * HZ), 1);
    CHECK_EQ(rd(&r, DR, 9 * HZ), 1009);
    wr(&r, CR, 1, 9 * HZ); /* what Linux's probe writes at every boot: the count stays */
    CHECK_EQ(rd(&r, DR, 9 * HZ), 1009);
    CHECK_EQ(rd(&r, CR, 9 * HZ), 1);
    wr(&r, CR, 0xfffffffe, 9 * HZ);
    CHECK_EQ(rd(&r, CR, 9 * HZ), 1);
    CHECK_EQ(rd(&r, DR, 10 * HZ), 1010);
    rtc_pl031_reset(&r, 10 * HZ);
    CHECK_EQ(rd(&r, CR, 10 * HZ), 1); /* and after a reset */
    CHECK_EQ(rd(&r, DR, 11 * HZ), 1011);
}

static void test_reset(void)
{
    struct rtc_pl031 r;
    rtc_pl031_init(&r, HZ, 1000, 0);
    wr(&r, LR, 700000, 3 * HZ + 300);
    wr(&r, MR, 700002, 3 * HZ + 300);
    wr(&r, IMSC, 1, 3 * HZ + 300);
    CHECK_EQ(rd(&r, MIS, 5 * HZ), 1);
    rtc_pl031_reset(&r, 6 * HZ + 10);
    CHECK_EQ(rd(&r, MR, 6 * HZ + 10), 0);
    CHECK_EQ(rd(&r, LR, 6 * HZ + 10), 0);
    CHECK_EQ(rd(&r, IMSC, 6 * HZ + 10), 0);
    CHECK_EQ(rd(&r, RIS, 6 * HZ + 10), 0);
    CHECK_EQ(rd(&r, MIS, 6 * HZ + 10), 0);
    uint64_t next;
    CHECK(!rtc_pl031_poll(&r, 6 * HZ + 10, &next));
    /* The time is what it was, and runs on. */
    CHECK_EQ(rd(&r, DR, 6 * HZ + 10), 700003);
    CHECK_EQ(rd(&r, DR, 60 * HZ), 700057);
    /* A match RTCMR (now 0) had before the reset is forgotten; matches after it count. */
    wr(&r, MR, 700060, 60 * HZ);
    CHECK_EQ(rd(&r, RIS, 63 * HZ), 1);
    /* The count passing 0 (the power-on RTCMR) unseen before a reset is no match after it. */
    rtc_pl031_init(&r, HZ, 0xfffffff0, 0);
    CHECK_EQ(rd(&r, DR, 0), 0xfffffff0);
    rtc_pl031_reset(&r, 100 * HZ);
    CHECK_EQ(rd(&r, RIS, 101 * HZ), 0);
}

static void test_wrap(void)
{
    struct rtc_pl031 r;
    rtc_pl031_init(&r, HZ, 0xfffffffe, 0);
    CHECK_EQ(rd(&r, DR, 1 * HZ), 0xffffffff);
    CHECK_EQ(rd(&r, DR, 2 * HZ), 0);
    CHECK_EQ(rd(&r, DR, 5 * HZ), 3);
    /* A match across the wrap, found late. */
    rtc_pl031_init(&r, HZ, 0xfffffff0, 0);
    wr(&r, MR, 2, 0);
    CHECK_EQ(rd(&r, RIS, 17 * HZ), 0); /* count 1 */
    CHECK_EQ(rd(&r, RIS, 40 * HZ), 1); /* count 0x18: 2 was passed */
    wr(&r, ICR, 1, 40 * HZ);
    /* A load of 0xffffffff, then one second. */
    wr(&r, LR, 0xffffffff, 41 * HZ);
    CHECK_EQ(rd(&r, DR, 42 * HZ), 0);
    /* 2^32 seconds unseen: the count came round to RTCMR whatever it was, even equal to it
     * when last seen (that match had and cleared). */
    wr(&r, MR, rd(&r, DR, 42 * HZ), 42 * HZ);
    CHECK_EQ(rd(&r, RIS, 42 * HZ), 1);
    wr(&r, ICR, 1, 42 * HZ);
    CHECK_EQ(rd(&r, RIS, 43 * HZ - 1), 0);
    uint64_t later = (42 + (1ull << 32) + 5) * HZ;
    CHECK_EQ(rd(&r, DR, later), 5);
    CHECK_EQ(rd(&r, RIS, later), 1);
}

/* The VMM's side: fakes of what rtc_pl031.c calls. */
static struct vm vm;
static uint64_t timer_freq = 62500000;
static unsigned irq_calls;
static unsigned irq_intid;
static bool irq_level;

uint64_t rt_timer_freq(void)
{
    return timer_freq;
}

struct mmio_device *vm_device_add(struct vm *v, const char *name, gpa_t base, uint64_t size)
{
    if (v->device_count == VM_MAX_DEVICES) {
        return NULL;
    }
    struct mmio_device *d = &v->devices[v->device_count++];
    memset(d, 0, sizeof(*d));
    d->name = name;
    d->base = base;
    d->size = size;
    d->lock = &d->own; /* as vm.c */
    return d;
}

void vm_irq_set(struct vm *v, unsigned intid, bool level)
{
    CHECK(v == &vm);
    CHECK(level != irq_level); /* told only on changes */
    irq_calls++;
    irq_intid = intid;
    irq_level = level;
}

/* As arm64's: the GIC's three cells, an SPI. */
bool arch_device_irq(const void *fdt, int node, unsigned *intid)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    if (!p || len < 12 || fdt32_ld(&p[0]) != 0) {
        return false;
    }
    *intid = 32 + fdt32_ld(&p[1]);
    return true;
}

static char tree[2048];

/* A tree with one "arm,pl031" node: reg <0 0x9010000 0 size>; interrupts <kind spi 4> unless
 * kind is ~0; keel,epoch of epoch_cells cells (0: none). Returns the node. */
static int make_tree(uint64_t size, uint32_t kind, uint32_t spi, unsigned epoch_cells,
                     uint64_t epoch)
{
    void *f = tree;
    CHECK(fdt_create(f, sizeof(tree)) == 0);
    CHECK(fdt_finish_reservemap(f) == 0);
    CHECK(fdt_begin_node(f, "") == 0);
    CHECK(fdt_property_u32(f, "#address-cells", 2) == 0);
    CHECK(fdt_property_u32(f, "#size-cells", 2) == 0);
    CHECK(fdt_begin_node(f, "pl031@9010000") == 0);
    static const char compatible[] = "arm,pl031\0arm,primecell";
    CHECK(fdt_property(f, "compatible", compatible, sizeof(compatible)) == 0);
    fdt32_t reg[4] = { cpu_to_fdt32(0), cpu_to_fdt32(0x9010000),
                       cpu_to_fdt32((uint32_t)(size >> 32)), cpu_to_fdt32((uint32_t)size) };
    CHECK(fdt_property(f, "reg", reg, sizeof(reg)) == 0);
    if (kind != ~0u) {
        fdt32_t irq[3] = { cpu_to_fdt32(kind), cpu_to_fdt32(spi), cpu_to_fdt32(4) };
        CHECK(fdt_property(f, "interrupts", irq, sizeof(irq)) == 0);
    }
    if (epoch_cells == 1) {
        CHECK(fdt_property_u32(f, "keel,epoch", (uint32_t)epoch) == 0);
    } else if (epoch_cells == 2) {
        CHECK(fdt_property_u64(f, "keel,epoch", epoch) == 0);
    } else if (epoch_cells == 3) {
        fdt32_t e[3] = { 0, 0, cpu_to_fdt32((uint32_t)epoch) };
        CHECK(fdt_property(f, "keel,epoch", e, sizeof(e)) == 0);
    }
    CHECK(fdt_end_node(f) == 0);
    CHECK(fdt_end_node(f) == 0);
    CHECK(fdt_finish(f) == 0);
    int node = fdt_node_offset_by_compatible(f, -1, "arm,pl031");
    CHECK(node > 0);
    return node;
}

/* The device's register at off, through its access hook as the VMM calls it. */
static uint32_t dev_rd(struct mmio_device *d, uint64_t off)
{
    uint64_t v = 0;
    CHECK(vm_device_access(d, off, 4, false, &v));
    return (uint32_t)v;
}

static void dev_wr(struct mmio_device *d, uint64_t off, uint32_t v)
{
    uint64_t x = v;
    CHECK(vm_device_access(d, off, 4, true, &x));
}

static void test_device(void)
{
    vm.name = "t";
    /* Nodes it refuses (each says why; no device is made). */
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x100, 0, 2, 0, 0)), -1);
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x1000, 1, 13, 0, 0)), -1); /* a PPI */
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x1000, 0, 2, 2, 1ull << 32)), -1);
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x1000, 0, 2, 3, 5)), -1); /* 3 cells */
    timer_freq = 0;
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x1000, 0, 2, 0, 0)), -1);
    timer_freq = 62500000;
    CHECK_EQ(vm.device_count, 0);

    /* QEMU virt's: SPI 2, at 2026-01-01. */
    host_cycles = 62500000ull * 100 + 12345;
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x1000, 0, 2, 2, EPOCH)), 0);
    CHECK_EQ(vm.device_count, 1);
    struct mmio_device *d = &vm.devices[0];
    CHECK_EQ(gpa_val(d->base), 0x9010000);
    CHECK_EQ(d->size, 0x1000);
    CHECK(d->lock == &d->own);
    CHECK(d->reset != NULL);
    CHECK_EQ(dev_rd(d, DR), EPOCH);
    CHECK_EQ(dev_rd(d, 0xff0), 0x0d);
    host_cycles += 62500000ull * 30;
    CHECK_EQ(dev_rd(d, DR), EPOCH + 30);
    /* Past the window's end: none of the device's (vm_device_access). */
    uint64_t v = 0;
    CHECK(!vm_device_access(d, 0xffe, 4, false, &v));

    /* The line: raised at the access that finds the match, lowered by RTCICR and RTCIMSC. */
    dev_wr(d, MR, EPOCH + 32);
    dev_wr(d, IMSC, 1);
    CHECK_EQ(irq_calls, 0);
    host_cycles += 62500000ull * 2;
    CHECK_EQ(irq_calls, 0); /* (at accesses only: nothing polls) */
    CHECK_EQ(dev_rd(d, MIS), 1);
    CHECK_EQ(irq_calls, 1);
    CHECK_EQ(irq_intid, 34);
    CHECK(irq_level);
    dev_wr(d, IMSC, 0);
    CHECK_EQ(irq_calls, 2);
    CHECK(!irq_level);
    dev_wr(d, IMSC, 1);
    CHECK_EQ(irq_calls, 3);
    CHECK(irq_level);
    dev_wr(d, ICR, 1);
    CHECK_EQ(irq_calls, 4);
    CHECK(!irq_level);
    /* A load onto RTCMR raises it at that write. */
    dev_wr(d, LR, EPOCH + 32);
    CHECK_EQ(irq_calls, 5);
    CHECK(irq_level);

    /* A reset lowers it, puts the registers back, and keeps the time. */
    host_cycles += 62500000ull * 10 + 7;
    vm_lock(d->lock); /* (as vm_devices_reset) */
    d->reset(d);
    vm_unlock(d->lock);
    CHECK_EQ(irq_calls, 6);
    CHECK(!irq_level);
    CHECK_EQ(dev_rd(d, DR), EPOCH + 42);
    CHECK_EQ(dev_rd(d, MR), 0);
    CHECK_EQ(dev_rd(d, LR), 0);
    CHECK_EQ(dev_rd(d, IMSC), 0);
    CHECK_EQ(dev_rd(d, RIS), 0);
    CHECK_EQ(dev_rd(d, CR), 1);
    /* A refused access is refused through the hook too, and moves no line. */
    CHECK(!vm_device_access(d, DR, 4, true, &v));
    CHECK(!vm_device_access(d, DR, 2, false, &v));
    CHECK_EQ(irq_calls, 6);

    /* One per VM. */
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x1000, 0, 2, 0, 0)), -1);
    CHECK_EQ(vm.device_count, 1);
}

/* Without interrupts and keel,epoch: no line, and the count starts at 2000-01-01; a 1-cell
 * keel,epoch. (Another VM's device: fuzz/reset/rtc_pl031.c puts the file's state back.) */
static void test_device_defaults(void)
{
    fuzz_reset_rtc_pl031();
    memset(&vm, 0, sizeof(vm));
    vm.name = "u";
    irq_calls = 0;
    irq_level = false;
    host_cycles = 62500000ull * 7;
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x1000, ~0u, 0, 0, 0)), 0);
    struct mmio_device *d = &vm.devices[0];
    CHECK_EQ(dev_rd(d, DR), 946684800);
    dev_wr(d, MR, 946684801);
    dev_wr(d, IMSC, 1);
    host_cycles += 62500000ull;
    CHECK_EQ(dev_rd(d, MIS), 1);
    CHECK_EQ(irq_calls, 0); /* no line to raise */

    fuzz_reset_rtc_pl031();
    memset(&vm, 0, sizeof(vm));
    vm.name = "v";
    CHECK_EQ(rtc_pl031_from_dt(&vm, tree, make_tree(0x1000, 0, 2, 1, 86400)), 0);
    CHECK_EQ(dev_rd(&vm.devices[0], DR), 86400);
}

int main(void)
{
    test_power_on();
    test_ids();
    test_count();
    test_match();
    test_poll();
    test_refused();
    test_start_bit();
    test_reset();
    test_wrap();
    test_device();
    test_device_defaults();
    return unit_done("test_vmm_pl031");
}

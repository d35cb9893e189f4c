// SPDX-License-Identifier: MIT
/*
 * Host tests of the VMM's SBSA Generic Watchdog (vmm/dev/sbsa_gwdt.c): the registers at reset
 * and W_IIDR in both frames; enable, refresh (WRR, WOR, WCS) and the two timeouts at their exact
 * counter values (WS0 with its timeout refresh, then WS1, WCV left alone); timeouts found late
 * placed where they came, a refresh after WS1 not undoing it; the 48-bit WOR, WCV written (no
 * refresh, a past value firing at once), WOR 0, disabling; refused widths and alignments
 * (nothing changes), reserved offsets and read-only bits (RAZ/WI); a reset; the clock scaling
 * (x86_64's 62.5 MHz timebase); then the device from a device tree node with its two frames,
 * its line, its timer's deadlines (the timer thread played by the test), WS1's VM reset (once)
 * and its reset hook, and the nodes it refuses. The VM's services are fakes below; the device's
 * file-scope state comes back to its start through fuzz/reset/sbsa_gwdt.c, which this test links
 * instead of the device's file (it includes it), as the fuzz targets do.
 */
#include "unit.h"
#include "vm.h"
#include "vcpu.h"
#include "vm_timer.h"
#include "platform.h"
#include "dev/sbsa_gwdt.h"
#include <keel/rt.h>
#include "reset.h" /* fuzz/reset/: the device's file-scope state back to its start */
#include <libfdt.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;

#define WCS 0x000
#define WOR 0x008
#define WORU 0x00c
#define WCV 0x010
#define WCVU 0x014
#define IIDR 0xfcc
#define WRR 0x000
#define EN 1u
#define WS0 2u
#define WS1 4u
#define C SBSA_GWDT_CONTROL
#define R SBSA_GWDT_REFRESH

/* The model's register at off of frame (a 32-bit read that must succeed). */
static uint32_t rd(struct sbsa_gwdt *w, enum sbsa_gwdt_frame f, uint64_t off, uint64_t now)
{
    uint64_t v = 0xdeadbeefdeadbeefull;
    CHECK(sbsa_gwdt_access(w, f, off, 4, false, &v, now));
    CHECK(v <= UINT32_MAX);
    return (uint32_t)v;
}

static void wr(struct sbsa_gwdt *w, enum sbsa_gwdt_frame f, uint64_t off, uint64_t v, uint64_t now)
{
    CHECK(sbsa_gwdt_access(w, f, off, 4, true, &v, now));
}

static uint64_t wcv_of(struct sbsa_gwdt *w, uint64_t now)
{
    return rd(w, C, WCV, now) | (uint64_t)rd(w, C, WCVU, now) << 32;
}

static uint64_t wor_of(struct sbsa_gwdt *w, uint64_t now)
{
    return rd(w, C, WOR, now) | (uint64_t)rd(w, C, WORU, now) << 32;
}

/* The signals and the next deadline at now. */
static unsigned poll(struct sbsa_gwdt *w, uint64_t now, uint64_t *next)
{
    uint64_t n;
    unsigned s = sbsa_gwdt_poll(w, now, &n);
    if (next) {
        *next = n;
    }
    return s;
}

/* A watchdog enabled at `at` with WOR wor (written at at - 1). */
static void enabled(struct sbsa_gwdt *w, uint64_t wor, uint64_t at)
{
    sbsa_gwdt_reset(w, 0);
    wr(w, C, WOR, (uint32_t)wor, at - 1);
    wr(w, C, WORU, wor >> 32, at - 1);
    wr(w, C, WCS, EN, at);
}

static void test_power_on(void)
{
    struct sbsa_gwdt w;
    sbsa_gwdt_reset(&w, 500);
    CHECK_EQ(rd(&w, C, WCS, 500), 0);
    CHECK_EQ(wor_of(&w, 500), 0);
    CHECK_EQ(wcv_of(&w, 500), 0);
    CHECK_EQ(rd(&w, C, IIDR, 500), 0x0001043b);
    CHECK_EQ(rd(&w, R, IIDR, 500), 0x0001043b);
    CHECK_EQ((rd(&w, C, IIDR, 500) >> 16) & 0xf, 1); /* architecture revision 1: 48-bit WOR */
    CHECK_EQ(rd(&w, C, IIDR, 500) & 0xfff, 0x43b);   /* Arm's JEP106 code */
    CHECK_EQ(rd(&w, R, WRR, 500), 0);
    uint64_t next;
    CHECK_EQ(poll(&w, 1ull << 40, &next), 0); /* off: never a timeout */
    CHECK_EQ(next, UINT64_MAX);
}

static void test_enable_and_timeouts(void)
{
    struct sbsa_gwdt w;
    uint64_t next;
    enabled(&w, 1000, 200);
    CHECK_EQ(rd(&w, C, WCS, 200), EN);
    CHECK_EQ(wcv_of(&w, 200), 1200); /* the enable is an explicit refresh */
    CHECK_EQ(poll(&w, 1199, &next), 0);
    CHECK_EQ(next, 1200);
    /* An explicit refresh through WRR: WCV = counter + WOR. */
    wr(&w, R, WRR, 0x12345678, 700);
    CHECK_EQ(wcv_of(&w, 700), 1700);
    CHECK_EQ(rd(&w, C, WCS, 1699), EN);
    CHECK_EQ(poll(&w, 1699, &next), 0);
    CHECK_EQ(next, 1700);
    /* WS0 when the counter reaches WCV, and a timeout refresh. */
    CHECK_EQ(rd(&w, C, WCS, 1700), EN | WS0);
    CHECK_EQ(wcv_of(&w, 1700), 2700);
    CHECK_EQ(poll(&w, 1700, &next), SBSA_GWDT_WS0);
    CHECK_EQ(next, 2700);
    CHECK_EQ(poll(&w, 2699, &next), SBSA_GWDT_WS0);
    /* WS1 when it reaches WCV again; WCV stays; no more timeouts. */
    CHECK_EQ(rd(&w, C, WCS, 2700), EN | WS0 | WS1);
    CHECK_EQ(wcv_of(&w, 2700), 2700);
    CHECK_EQ(poll(&w, 2700, &next), SBSA_GWDT_WS0 | SBSA_GWDT_WS1);
    CHECK_EQ(next, UINT64_MAX);
    CHECK_EQ(wcv_of(&w, 1ull << 40), 2700);
}

static void test_late(void)
{
    struct sbsa_gwdt w;
    uint64_t next;
    /* Looked at late: WS0 at 1000 (its refresh from there), not at the look. */
    enabled(&w, 1000, 0 + 1);
    CHECK_EQ(poll(&w, 1500, &next), SBSA_GWDT_WS0);
    CHECK_EQ(wcv_of(&w, 1500), 2001);
    CHECK_EQ(next, 2001);
    /* Both at once, each where it came. */
    enabled(&w, 1000, 1);
    CHECK_EQ(poll(&w, 5000, &next), SBSA_GWDT_WS0 | SBSA_GWDT_WS1);
    CHECK_EQ(wcv_of(&w, 5000), 2001);
    CHECK_EQ(next, UINT64_MAX);
    /* A refresh written after WS1's time comes too late: the reset signal stands (the access
     * sees the timeouts before its write), though WCS shows the refresh. */
    enabled(&w, 1000, 1);
    wr(&w, R, WRR, 0, 2500);
    CHECK_EQ(rd(&w, C, WCS, 2500), EN);
    CHECK_EQ(wcv_of(&w, 2500), 3500);
    CHECK_EQ(poll(&w, 2500, &next), SBSA_GWDT_WS1);
    CHECK_EQ(next, 3500);
    /* One after WS0's time only: WS0 came and went; the watchdog runs on. */
    enabled(&w, 1000, 1);
    wr(&w, R, WRR, 0, 1500);
    CHECK_EQ(rd(&w, C, WCS, 1500), EN);
    CHECK_EQ(poll(&w, 1500, &next), 0);
    CHECK_EQ(next, 2500);
}

static void test_refresh_clears(void)
{
    struct sbsa_gwdt w;
    uint64_t next;
    /* Each kind of explicit refresh clears WS0 (and WS1) and restarts the count. */
    for (unsigned kind = 0; kind < 4; kind++) {
        enabled(&w, 100, 1000);
        CHECK_EQ(rd(&w, C, WCS, 1150), EN | WS0);
        switch (kind) {
        case 0:
            wr(&w, R, WRR, 0, 1150);
            break;
        case 1:
            wr(&w, C, WOR, 100, 1150);
            break;
        case 2:
            wr(&w, C, WORU, 0, 1150);
            break;
        case 3:
            wr(&w, C, WCS, EN, 1150);
            break;
        }
        CHECK_EQ(rd(&w, C, WCS, 1150), EN);
        CHECK_EQ(wcv_of(&w, 1150), 1250);
        CHECK_EQ(poll(&w, 1249, &next), 0);
        CHECK_EQ(next, 1250);
    }
    /* After WS1: WCS's bits clear, the signal (the reset) stays until a reset. */
    enabled(&w, 100, 1000);
    CHECK_EQ(rd(&w, C, WCS, 1200), EN | WS0 | WS1);
    wr(&w, R, WRR, 0, 1300);
    CHECK_EQ(rd(&w, C, WCS, 1300), EN);
    CHECK_EQ(poll(&w, 1300, &next), SBSA_GWDT_WS1);
    CHECK_EQ(next, 1400);
    sbsa_gwdt_reset(&w, 1300);
    CHECK_EQ(poll(&w, 1300, &next), 0);
}

static void test_wor(void)
{
    struct sbsa_gwdt w;
    sbsa_gwdt_reset(&w, 0);
    /* 48 bits: [63:48] RAZ/WI. Written while off, each write still refreshes WCV. */
    wr(&w, C, WOR, 0xffffffff, 10);
    CHECK_EQ(wcv_of(&w, 10), 10 + 0xffffffffull);
    wr(&w, C, WORU, 0xffffffff, 20);
    CHECK_EQ(rd(&w, C, WORU, 20), 0xffff);
    CHECK_EQ(wor_of(&w, 20), 0xffffffffffffull);
    CHECK_EQ(wcv_of(&w, 20), 20 + 0xffffffffffffull);
    wr(&w, C, WOR, 5, 30);
    CHECK_EQ(wor_of(&w, 30), 0xffff00000005ull);
    wr(&w, C, WORU, 0, 40);
    CHECK_EQ(wor_of(&w, 40), 5);
    CHECK_EQ(wcv_of(&w, 40), 45);
    CHECK_EQ(rd(&w, C, WCS, 1000), 0); /* off: no timeout */
    /* WOR 0: both signals the moment it is enabled. */
    enabled(&w, 0, 100);
    uint64_t next;
    CHECK_EQ(poll(&w, 100, &next), SBSA_GWDT_WS0 | SBSA_GWDT_WS1);
    CHECK_EQ(rd(&w, C, WCS, 100), EN | WS0 | WS1);
}

static void test_wcv_write(void)
{
    struct sbsa_gwdt w;
    uint64_t next;
    enabled(&w, 1000, 100);
    /* A compare value later: no refresh, the timeout moves. */
    wr(&w, C, WCVU, 1, 200);
    wr(&w, C, WCV, 7, 200);
    CHECK_EQ(wcv_of(&w, 200), (1ull << 32) + 7);
    CHECK_EQ(poll(&w, 1100, &next), 0);
    CHECK_EQ(next, (1ull << 32) + 7);
    /* One in the past: the timeout comes at the write (its refresh from there). */
    wr(&w, C, WCVU, 0, 300); /* (WCV 7) */
    CHECK_EQ(rd(&w, C, WCS, 300), EN | WS0);
    CHECK_EQ(wcv_of(&w, 300), 300 + 1000);
    /* A write of WCV does not clear WS0. */
    wr(&w, C, WCV, 5000, 400);
    CHECK_EQ(rd(&w, C, WCS, 400), EN | WS0);
    CHECK_EQ(poll(&w, 4999, &next), SBSA_GWDT_WS0);
    CHECK_EQ(next, 5000);
    CHECK_EQ(poll(&w, 5000, &next), SBSA_GWDT_WS0 | SBSA_GWDT_WS1);
    /* Written while off: nothing, and enabling refreshes it anyway. */
    sbsa_gwdt_reset(&w, 0);
    wr(&w, C, WOR, 50, 0);
    wr(&w, C, WCV, 10, 20);
    CHECK_EQ(poll(&w, 1000, &next), 0);
    CHECK_EQ(next, UINT64_MAX);
    wr(&w, C, WCS, EN, 1000);
    CHECK_EQ(wcv_of(&w, 1000), 1050);
}

static void test_disable(void)
{
    struct sbsa_gwdt w;
    uint64_t next;
    enabled(&w, 100, 1000);
    CHECK_EQ(rd(&w, C, WCS, 1100), EN | WS0);
    wr(&w, C, WCS, 0, 1120); /* off, and a refresh: WS0 falls */
    CHECK_EQ(rd(&w, C, WCS, 1120), 0);
    CHECK_EQ(poll(&w, 1ull << 50, &next), 0);
    CHECK_EQ(next, UINT64_MAX);
    /* WS0 and WS1 are read-only, bits [31:3] RAZ/WI. */
    wr(&w, C, WCS, 0xffffffff, 2000);
    CHECK_EQ(rd(&w, C, WCS, 2000), EN);
    wr(&w, C, WCS, WS0 | WS1, 2001);
    CHECK_EQ(rd(&w, C, WCS, 2001), 0);
}

/* Everything a guest can read, for checking that an access changed nothing. */
struct regs {
    uint32_t wcs, wor, woru, wcv, wcvu;
};

static struct regs regs_of(struct sbsa_gwdt *w, uint64_t now)
{
    return (struct regs){ rd(w, C, WCS, now), rd(w, C, WOR, now), rd(w, C, WORU, now),
                          rd(w, C, WCV, now), rd(w, C, WCVU, now) };
}

static bool regs_eq(struct regs a, struct regs b)
{
    return a.wcs == b.wcs && a.wor == b.wor && a.woru == b.woru && a.wcv == b.wcv &&
           a.wcvu == b.wcvu;
}

static void test_refused(void)
{
    struct sbsa_gwdt w;
    enabled(&w, 1000, 100);
    struct regs before = regs_of(&w, 500);
    static const unsigned widths[] = { 1, 2, 8 };
    for (unsigned i = 0; i < 3; i++) {
        for (unsigned k = 0; k < 2; k++) {
            enum sbsa_gwdt_frame f = k ? R : C;
            for (uint64_t off = 0; off < 0x18; off += 4) {
                uint64_t v = 0x5555;
                CHECK(!sbsa_gwdt_access(&w, f, off, widths[i], false, &v, 500));
                CHECK_EQ(v, 0x5555); /* untouched */
                v = 0;
                CHECK(!sbsa_gwdt_access(&w, f, off, widths[i], true, &v, 500));
            }
        }
    }
    /* Misaligned, or past the frame. */
    uint64_t v = 1;
    CHECK(!sbsa_gwdt_access(&w, C, WCS + 2, 4, true, &v, 500));
    CHECK(!sbsa_gwdt_access(&w, R, 1, 4, true, &v, 500));
    CHECK(!sbsa_gwdt_access(&w, C, 0x1000, 4, false, &v, 500));
    CHECK(!sbsa_gwdt_access(&w, C, UINT64_MAX - 3, 4, false, &v, 500));
    CHECK(regs_eq(regs_of(&w, 500), before)); /* no refresh, no enable change */
}

static void test_reserved(void)
{
    struct sbsa_gwdt w;
    enabled(&w, 1000, 100);
    struct regs before = regs_of(&w, 500);
    static const uint64_t control[] = { 0x004, 0x018, 0x01c, 0x100, 0xfc8, 0xfd0, 0xfe0, 0xffc };
    static const uint64_t refresh[] = { 0x004, 0x008, 0x00c, 0x010, 0x014, 0xfd0, 0xffc };
    for (unsigned i = 0; i < sizeof(control) / sizeof(control[0]); i++) {
        CHECK_EQ(rd(&w, C, control[i], 500), 0);
        wr(&w, C, control[i], 0xffffffff, 500);
    }
    for (unsigned i = 0; i < sizeof(refresh) / sizeof(refresh[0]); i++) {
        CHECK_EQ(rd(&w, R, refresh[i], 500), 0);
        wr(&w, R, refresh[i], 0xffffffff, 500); /* no refresh */
    }
    wr(&w, C, IIDR, 0, 500);
    wr(&w, R, IIDR, 0, 500);
    CHECK_EQ(rd(&w, C, IIDR, 500), 0x0001043b);
    CHECK(regs_eq(regs_of(&w, 500), before));
    CHECK_EQ(wcv_of(&w, 500), 1100);
}

static void test_reset(void)
{
    struct sbsa_gwdt w;
    enabled(&w, 100, 1000);
    CHECK_EQ(rd(&w, C, WCS, 1300), EN | WS0 | WS1);
    sbsa_gwdt_reset(&w, 1300);
    struct regs zero = { 0, 0, 0, 0, 0 };
    CHECK(regs_eq(regs_of(&w, 1300), zero));
    uint64_t next;
    CHECK_EQ(poll(&w, 1ull << 40, &next), 0);
    CHECK_EQ(next, UINT64_MAX);
}

static void test_clock(void)
{
    /* hz 0: the clock is the counter. */
    CHECK_EQ(sbsa_gwdt_counter(123456789, 62500000, 0), 123456789);
    CHECK_EQ(sbsa_gwdt_cycles_at(123456789, 62500000, 0), 123456789);
    /* x86_64: a 3 GHz TSC as a 62.5 MHz timebase. */
    const uint64_t f = 3000000000ull, hz = 62500000;
    CHECK_EQ(sbsa_gwdt_counter(f, f, hz), hz);
    CHECK_EQ(sbsa_gwdt_counter(47, f, hz), 0);
    CHECK_EQ(sbsa_gwdt_counter(48, f, hz), 1);
    CHECK_EQ(sbsa_gwdt_cycles_at(hz, f, hz), f);
    static const uint64_t counts[] = { 1, 2, 1000, 62500001, 1ull << 40 };
    for (unsigned i = 0; i < 5; i++) { /* the first clock value at which the count is reached */
        uint64_t c = sbsa_gwdt_cycles_at(counts[i], f, hz);
        CHECK(sbsa_gwdt_counter(c, f, hz) >= counts[i]);
        CHECK(sbsa_gwdt_counter(c - 1, f, hz) < counts[i]);
    }
    /* A TSC slower than the timebase. */
    CHECK_EQ(sbsa_gwdt_cycles_at(3, 1000000, hz), 1);
    CHECK(sbsa_gwdt_counter(1, 1000000, hz) >= 3);
    /* Never: none; too far: the end of time. */
    CHECK_EQ(sbsa_gwdt_cycles_at(UINT64_MAX, f, hz), UINT64_MAX);
    CHECK_EQ(sbsa_gwdt_cycles_at(1ull << 62, f, hz), UINT64_MAX);
}

/* The VMM's side: fakes of what sbsa_gwdt.c calls. */
static struct vm vm;
static uint64_t timer_freq = 62500000;
static unsigned irq_calls;
static unsigned irq_intid;
static bool irq_level;
static unsigned reset_calls;
static int64_t reset_status;
static struct vm_timer *timer;
static int64_t timer_add_result;

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

void vm_reset(struct vm *v, int64_t status)
{
    CHECK(v == &vm);
    reset_calls++;
    reset_status = status;
}

int64_t vm_timer_add(struct vm *v, struct vm_timer *t)
{
    CHECK(v == &vm);
    CHECK(t->expired != NULL);
    t->due = UINT64_MAX;
    timer = t;
    return timer_add_result;
}

void vm_timer_set(struct vm_timer *t, uint64_t due)
{
    CHECK(t == timer);
    t->due = due;
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

/* A tree with one "arm,sbsa-gwdt" node: reg <0 cbase 0 csize>, then <0 rbase 0 rsize> unless
 * rbase is 0; interrupts <kind spi 4> unless kind is ~0. Returns the node. */
static int make_tree(uint64_t cbase, uint64_t csize, uint64_t rbase, uint64_t rsize, uint32_t kind,
                     uint32_t spi)
{
    void *f = tree;
    CHECK(fdt_create(f, sizeof(tree)) == 0);
    CHECK(fdt_finish_reservemap(f) == 0);
    CHECK(fdt_begin_node(f, "") == 0);
    CHECK(fdt_property_u32(f, "#address-cells", 2) == 0);
    CHECK(fdt_property_u32(f, "#size-cells", 2) == 0);
    CHECK(fdt_begin_node(f, "watchdog@9030000") == 0);
    CHECK(fdt_property_string(f, "compatible", "arm,sbsa-gwdt") == 0);
    fdt32_t reg[8] = { 0, cpu_to_fdt32((uint32_t)cbase), 0, cpu_to_fdt32((uint32_t)csize),
                       0, cpu_to_fdt32((uint32_t)rbase), 0, cpu_to_fdt32((uint32_t)rsize) };
    CHECK(fdt_property(f, "reg", reg, rbase ? sizeof(reg) : sizeof(reg) / 2) == 0);
    if (kind != ~0u) {
        fdt32_t irq[3] = { cpu_to_fdt32(kind), cpu_to_fdt32(spi), cpu_to_fdt32(4) };
        CHECK(fdt_property(f, "interrupts", irq, sizeof(irq)) == 0);
    }
    CHECK(fdt_property_u32(f, "timeout-sec", 30) == 0);
    CHECK(fdt_end_node(f) == 0);
    CHECK(fdt_end_node(f) == 0);
    CHECK(fdt_finish(f) == 0);
    int node = fdt_node_offset_by_compatible(f, -1, "arm,sbsa-gwdt");
    CHECK(node > 0);
    return node;
}

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

/* The timer thread: the deadline has come at host_cycles. */
static void timer_fires(void)
{
    CHECK(timer->due <= host_cycles);
    timer->due = UINT64_MAX; /* (taken back, as vm_timer.c does) */
    timer->expired(timer, host_cycles);
}

static void fresh(const char *name)
{
    fuzz_reset_sbsa_gwdt();
    memset(&vm, 0, sizeof(vm));
    vm.name = name;
    irq_calls = 0;
    irq_level = false;
    reset_calls = 0;
    timer = NULL;
    timer_add_result = 0;
    timer_freq = 62500000;
}

static void test_device_refused(void)
{
    fresh("t");
    const uint64_t cb = 0x9030000, rb = 0x9040000;
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, 0, 0, 0, 3)), -1); /* one frame */
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x2000, rb, 0x1000, 0, 3)), -1);
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, rb, 0x800, 0, 3)), -1);
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, cb + 0x800, 0x1000, 0, 3)), -1);
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, cb, 0x1000, 0, 3)), -1);
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, rb, 0x1000, 1, 13)), -1); /* PPI */
    timer_freq = 0;
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, rb, 0x1000, 0, 3)), -1);
    timer_freq = 62500000;
    CHECK_EQ(vm.device_count, 0);
    /* No room for both frames. */
    vm.device_count = VM_MAX_DEVICES - 1;
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, rb, 0x1000, 0, 3)), -1);
    CHECK_EQ(vm.device_count, VM_MAX_DEVICES - 1);
    vm.device_count = 0;
    /* No timer thread. */
    timer_add_result = -4;
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, rb, 0x1000, 0, 3)), -1);
    /* One per VM. */
    fresh("t");
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(cb, 0x1000, rb, 0x1000, 0, 3)), 0);
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(0xa000000, 0x1000, 0xa001000, 0x1000, 0, 4)),
             -1);
    CHECK_EQ(vm.device_count, 2);
}

static void test_device(void)
{
    fresh("t");
    const uint64_t hz = 62500000; /* the counter: host_cycles (arm64's: the kernel's clock) */
    host_cycles = hz * 100;
    /* The frames in either order in the address space; SPI 3. */
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(0x9040000, 0x1000, 0x9030000, 0x1000, 0, 3)),
             0);
    CHECK_EQ(vm.device_count, 2);
    struct mmio_device *c = &vm.devices[0], *r = &vm.devices[1];
    CHECK_EQ(gpa_val(c->base), 0x9040000);
    CHECK_EQ(gpa_val(r->base), 0x9030000);
    CHECK_EQ(c->size, 0x1000);
    CHECK_EQ(r->size, 0x1000);
    CHECK(c->lock == &c->own && r->lock == c->lock); /* one lock for both frames */
    CHECK(c->reset != NULL && r->reset == NULL);     /* one reset hook */
    CHECK(timer != NULL && timer->due == UINT64_MAX);
    CHECK_EQ(dev_rd(c, IIDR), 0x0001043b);
    CHECK_EQ(dev_rd(r, IIDR), 0x0001043b);
    CHECK_EQ(dev_rd(c, WCS), 0);
    /* Past the frame's end, or a width the frames refuse. */
    uint64_t v = 0;
    CHECK(!vm_device_access(c, 0xffe, 4, false, &v));
    CHECK(!vm_device_access(r, WRR, 8, true, &v));

    /* Enabled with a 10 ms offset: the deadline is WCV. */
    dev_wr(c, WOR, (uint32_t)(hz / 100));
    dev_wr(c, WCS, EN);
    uint64_t wcv = host_cycles + hz / 100;
    CHECK_EQ(timer->due, wcv);
    /* Fed: the deadline moves. */
    host_cycles += hz / 200;
    dev_wr(r, WRR, 0);
    wcv = host_cycles + hz / 100;
    CHECK_EQ(timer->due, wcv);
    CHECK_EQ(irq_calls, 0);

    /* Not fed: at the deadline the thread raises WS0's line (INTID 35), the next is WS1's. */
    host_cycles = wcv + 7; /* (a thread a little late) */
    timer_fires();
    CHECK_EQ(irq_calls, 1);
    CHECK_EQ(irq_intid, 35);
    CHECK(irq_level);
    CHECK_EQ(dev_rd(c, WCS), EN | WS0);
    CHECK_EQ(timer->due, wcv + hz / 100);
    CHECK_EQ(reset_calls, 0);
    /* WS1: the VM is reset, once; no deadline after it. */
    host_cycles = wcv + hz / 100;
    timer_fires();
    CHECK_EQ(reset_calls, 1);
    CHECK_EQ(reset_status, SBSA_GWDT_RESET_STATUS);
    CHECK_EQ(timer->due, UINT64_MAX);
    CHECK_EQ(dev_rd(c, WCS), EN | WS0 | WS1);
    dev_wr(r, WRR, 0); /* (too late: the VM is being reset) */
    CHECK_EQ(reset_calls, 1);
    CHECK_EQ(irq_calls, 2); /* the refresh lowered WS0 */
    CHECK(!irq_level);

    /* The VM's reset (vm_devices_reset, under the device's lock): back to the reset state. */
    dev_wr(r, WRR, 0);
    host_cycles += 1000;
    dev_wr(c, WOR, 0); /* (WOR 0: WS0 and WS1 at once; the VM's reset is under way) */
    CHECK_EQ(irq_calls, 3);
    CHECK(irq_level);
    vm_lock(c->lock);
    c->reset(c);
    vm_unlock(c->lock);
    CHECK_EQ(irq_calls, 4); /* the line falls */
    CHECK(!irq_level);
    CHECK_EQ(dev_rd(c, WCS), 0);
    CHECK_EQ(dev_rd(c, WOR), 0);
    CHECK_EQ(timer->due, UINT64_MAX);
    CHECK_EQ(reset_calls, 1);

    /* After it, a second expiry resets the VM again; an access finds it as well as the timer. */
    dev_wr(c, WOR, 1000);
    dev_wr(c, WCS, EN);
    host_cycles += 2000;
    CHECK_EQ(dev_rd(c, WCS), EN | WS0 | WS1);
    CHECK_EQ(reset_calls, 2);
}

static void test_device_without_line(void)
{
    fresh("u");
    host_cycles = 5;
    CHECK_EQ(sbsa_gwdt_from_dt(&vm, tree, make_tree(0x9030000, 0x1000, 0x9040000, 0x1000, ~0u, 0)),
             0);
    struct mmio_device *c = &vm.devices[0];
    dev_wr(c, WOR, 10);
    dev_wr(c, WCS, EN);
    host_cycles += 15;
    timer_fires();
    CHECK_EQ(dev_rd(c, WCS), EN | WS0);
    CHECK_EQ(irq_calls, 0); /* no line to raise */
    host_cycles += 10;
    timer_fires();
    CHECK_EQ(reset_calls, 1);
}

int main(void)
{
    test_power_on();
    test_enable_and_timeouts();
    test_late();
    test_refresh_clears();
    test_wor();
    test_wcv_write();
    test_disable();
    test_refused();
    test_reserved();
    test_reset();
    test_clock();
    test_device_refused();
    test_device();
    test_device_without_line();
    return unit_done("test_vmm_sbsa_gwdt");
}

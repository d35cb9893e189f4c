// SPDX-License-Identifier: MIT
/*
 * The TLB fences of riscv64's page tables (hyp/arch/riscv64/pt.c, gstage.c), on the host: the
 * two files compiled with hyp/tests/riscv64/arch/ before riscv64's include directory, where each
 * fence (arch/fence.h) is logged with the hart that made it, the CSRs are variables and the
 * requests to other harts (sched_ask) are logged too. QEMU 7.2 drops a hart's whole TLB at every
 * change of virtualization mode, so a G-stage fence left out on the hart that unmaps cannot be
 * seen by a guest under the emulator (docs/testing.md); here it can. Two harts: the test runs on
 * hart 0; hart 1 runs a guest (gstage_load there) or a task when a case needs it.
 *
 * What must hold (the privileged spec, 10.2.2 and 18.5.3: a hart that changed an entry fences
 * its own translations; the others are asked):
 * - a guest page mapped where nothing was: a local hfence.gvma of that page and VMID, nobody asked;
 * - a guest page unmapped or replaced: the local fence of that page and VMID after the entry's
 *   write, and hart 1 asked to flush once it has run a guest (not before);
 * - unmaps between arch_pt_unmap_begin() and _end(): each page fenced locally, one fence of the
 *   whole VMID at the end with one request to hart 1;
 * - a VM's table destroyed: its VMID fenced locally and on hart 1;
 * - a task page unmapped: sfence.vma of that page and ASID, hart 1 asked while it has a task's
 *   table loaded.
 */
#include "unit.h"
#include "kern_host.h"
#include <keel/arch/pt.h>
#include <keel/percpu.h>
#include <keel/pt_formats.h>
#include <keel/pt_walk.h>
#include <keel/quota.h>
#include <keel/sched.h>
#include <arch/fence.h>
#include <uapi/keel/fpage.h>
#include <stdlib.h>
#include "../arch/riscv64/gstage.h"

/* What the code under test expects of the rest of the kernel. */
struct percpu cpus[KEEL_MAX_CPUS];
unsigned cpu_count = 2;
struct percpu *fake_this_cpu = &cpus[0];
uint64_t fake_csr_satp, fake_csr_hgatp, fake_csr_vsatp;
bool hext_present = true;
uint64_t boot_pt[512] __attribute__((aligned(4096)));

/* The log: fences and requests to other harts, in order. */
struct event {
    bool ask; /* a sched_ask() (mask, what), else a fence (f) */
    struct fake_fence f;
    uint32_t mask;
    unsigned what;
    bool watched_mapped; /* the watched address had a valid leaf at this moment */
};
static struct event events[256];
static unsigned n_events;
static const struct arch_pt *watch_pt; /* whose translation of watch_va each event notes */
static uint64_t watch_va;

static bool watched_mapped(void)
{
    if (!watch_pt) {
        return false;
    }
    struct pt_table t = { &riscv_sv_format, watch_pt->root, watch_pt->levels };
    unsigned level;
    return pt_lookup(&t, va_init(watch_va), &level) != NULL;
}

static void record(struct event e)
{
    e.watched_mapped = watched_mapped();
    if (n_events < sizeof(events) / sizeof(events[0])) {
        events[n_events] = e;
    }
    n_events++;
}

void fake_fence_log(enum fake_fence_op op, uint64_t addr, uint64_t tag)
{
    record((struct event){ .f = { op, addr, tag, fake_this_cpu->id } });
}

void sched_ask(uint32_t mask, unsigned what)
{
    record((struct event){ .ask = true, .mask = mask, .what = what });
}

static void log_reset(void)
{
    n_events = 0;
}

/* How many fences of op with that address and tag hart cpu made (addr/tag ~0: any). */
static unsigned fences(enum fake_fence_op op, uint64_t addr, uint64_t tag, unsigned cpu)
{
    unsigned n = 0;
    for (unsigned i = 0; i < n_events; i++) {
        const struct event *e = &events[i];
        if (!e->ask && e->f.op == op && e->f.cpu == cpu && (addr == ~0ull || e->f.addr == addr) &&
            (tag == ~0ull || e->f.tag == tag)) {
            n++;
        }
    }
    return n;
}

/* The harts asked to flush their TLB, all requests together; *count: how many requests. */
static uint32_t asked(unsigned *count)
{
    uint32_t mask = 0;
    unsigned n = 0;
    for (unsigned i = 0; i < n_events; i++) {
        if (events[i].ask && events[i].what == SCHED_ASK_TLB_FLUSH) {
            mask |= events[i].mask;
            n++;
        }
    }
    if (count) {
        *count = n;
    }
    return mask;
}

/* Whether the watched address was unmapped at every fence of op the log has for that page. */
static bool fenced_after_the_write(enum fake_fence_op op, uint64_t addr)
{
    bool any = false;
    for (unsigned i = 0; i < n_events; i++) {
        const struct event *e = &events[i];
        if (!e->ask && e->f.op == op && e->f.addr == addr) {
            any = true;
            if (e->watched_mapped) {
                return false;
            }
        }
    }
    return any;
}

static void on_cpu(unsigned cpu)
{
    fake_this_cpu = &cpus[cpu];
}

#define GPA 0x80000000ull
#define PAGE_PA 0x40000000ull /* any frame: nothing reads through the entries */

static void test_guest(void)
{
    struct quota q = { .limit = 1u << 20 };
    struct arch_pt pt = { 0 };
    CHECK_EQ(arch_pt_init(&pt, &q, true), 0);
    uint64_t vmid = pt.vmid;
    CHECK(vmid != 0);
    watch_pt = &pt;
    watch_va = GPA;

    /* Mapped where nothing was: this hart may have cached the invalid entry; nobody else. */
    log_reset();
    CHECK_EQ(arch_pt_map(&pt, &q, va_init(GPA), pa_init(PAGE_PA), 0, KEEL_FP_RW, false), 0);
    CHECK_EQ(fences(HFENCE_GVMA_PAGE, GPA, vmid, 0), 1);
    CHECK_EQ(asked(NULL), 0);

    /* Unmapped while no other hart ran a guest: the local fence alone, after the write. */
    log_reset();
    arch_pt_unmap(&pt, va_init(GPA), 0);
    CHECK_EQ(fences(HFENCE_GVMA_PAGE, GPA, vmid, 0), 1);
    CHECK(fenced_after_the_write(HFENCE_GVMA_PAGE, GPA));
    CHECK_EQ(asked(NULL), 0);

    /* Hart 1 runs the guest: from now on it may hold the translation. */
    on_cpu(1);
    gstage_load(&pt);
    CHECK_EQ(fake_csr_hgatp, gstage_hgatp(&pt));
    on_cpu(0);
    CHECK_EQ(arch_pt_map(&pt, &q, va_init(GPA), pa_init(PAGE_PA), 0, KEEL_FP_RW, false), 0);

    /* Unmapped: this hart's own fence (the hart that unmaps may have run the guest too and
     * will again), and hart 1 asked. */
    log_reset();
    arch_pt_unmap(&pt, va_init(GPA), 0);
    CHECK_EQ(fences(HFENCE_GVMA_PAGE, GPA, vmid, 0), 1);
    CHECK(fenced_after_the_write(HFENCE_GVMA_PAGE, GPA));
    unsigned requests;
    CHECK_EQ(asked(&requests), 1u << 1);
    CHECK_EQ(requests, 1);

    /* Replaced (a valid leaf by another): the same as an unmap. */
    CHECK_EQ(arch_pt_map(&pt, &q, va_init(GPA), pa_init(PAGE_PA), 0, KEEL_FP_RW, false), 0);
    log_reset();
    CHECK_EQ(arch_pt_map(&pt, &q, va_init(GPA), pa_init(PAGE_PA + 0x1000), 0, KEEL_FP_R, false), 0);
    CHECK_EQ(fences(HFENCE_GVMA_PAGE, GPA, vmid, 0), 1);
    CHECK_EQ(asked(NULL), 1u << 1);

    /* Several unmapped in one operation: each fenced here at once, the others asked once. */
    for (unsigned i = 1; i < 4; i++) {
        CHECK_EQ(
            arch_pt_map(&pt, &q, va_init(GPA + i * 0x1000), pa_init(PAGE_PA), 0, KEEL_FP_RW, false),
            0);
    }
    log_reset();
    arch_pt_unmap_begin(&pt);
    for (unsigned i = 0; i < 4; i++) {
        arch_pt_unmap(&pt, va_init(GPA + i * 0x1000), 0);
        CHECK_EQ(fences(HFENCE_GVMA_PAGE, GPA + i * 0x1000, vmid, 0), 1);
        CHECK_EQ(asked(NULL), 0);
    }
    arch_pt_unmap_end(&pt);
    CHECK_EQ(fences(HFENCE_GVMA_VMID, ~0ull, vmid, 0), 1);
    CHECK_EQ(asked(&requests), 1u << 1);
    CHECK_EQ(requests, 1);

    /* Hart 1 went idle (the boot table loaded: it fenced all its guest translations): not
     * asked any more. */
    on_cpu(1);
    log_reset();
    arch_pt_activate(NULL);
    CHECK_EQ(fences(HFENCE_GVMA_ALL, ~0ull, ~0ull, 1), 1);
    on_cpu(0);
    CHECK_EQ(arch_pt_map(&pt, &q, va_init(GPA), pa_init(PAGE_PA), 0, KEEL_FP_RW, false), 0);
    log_reset();
    arch_pt_unmap(&pt, va_init(GPA), 0);
    CHECK_EQ(fences(HFENCE_GVMA_PAGE, GPA, vmid, 0), 1);
    CHECK_EQ(asked(NULL), 0);

    /* Destroyed after hart 1 ran it again: the VMID fenced here and there. */
    on_cpu(1);
    gstage_load(&pt);
    on_cpu(0);
    watch_pt = NULL;
    log_reset();
    arch_pt_destroy(&pt, &q);
    CHECK_EQ(fences(HFENCE_GVMA_VMID, ~0ull, vmid, 0), 1);
    CHECK_EQ(asked(NULL), 1u << 1);
    CHECK_EQ(q.used, 0);

    /* The next VM with that VMID: the hart that ran the old one fences it before its guest
     * runs; a hart that fenced it since does not need to again. */
    struct arch_pt next = { 0 };
    CHECK_EQ(arch_pt_init(&next, &q, true), 0);
    CHECK_EQ(next.vmid, vmid);
    on_cpu(1);
    log_reset();
    gstage_load(&next);
    CHECK_EQ(fences(HFENCE_GVMA_VMID, ~0ull, vmid, 1), 1);
    CHECK_EQ(fences(HFENCE_VVMA_ALL, ~0ull, ~0ull, 1), 1);
    log_reset();
    gstage_load(&next);
    CHECK_EQ(fences(HFENCE_GVMA_VMID, ~0ull, ~0ull, 1), 0);
    arch_pt_activate(NULL);
    on_cpu(0);
    arch_pt_destroy(&next, &q);
    CHECK_EQ(q.used, 0);
}

#define VA 0x10000000ull

static void test_task(void)
{
    struct quota q = { .limit = 1u << 20 };
    struct arch_pt pt = { 0 };
    CHECK_EQ(arch_pt_init(&pt, &q, false), 0);
    /* Loaded on both harts; its first access on this one gives it an ASID. */
    on_cpu(1);
    arch_pt_activate(&pt);
    on_cpu(0);
    arch_pt_activate(&pt);
    CHECK(arch_pt_fault_fixup());
    uint64_t asid = pt.asid.id;
    CHECK(asid != 0);
    CHECK_EQ(fake_csr_satp, pt.satp);
    watch_pt = &pt;
    watch_va = VA;

    CHECK_EQ(arch_pt_map(&pt, &q, va_init(VA), pa_init(PAGE_PA), 0, KEEL_FP_RW, false), 0);
    log_reset();
    arch_pt_unmap(&pt, va_init(VA), 0);
    CHECK_EQ(fences(SFENCE_VMA_PAGE, VA, asid, 0), 1);
    CHECK(fenced_after_the_write(SFENCE_VMA_PAGE, VA));
    CHECK_EQ(asked(NULL), 1u << 1);
    CHECK_EQ(fences(HFENCE_GVMA_PAGE, ~0ull, ~0ull, 0), 0); /* (a task's: no G-stage fence) */

    /* Hart 1 idle: only this one. */
    on_cpu(1);
    arch_pt_activate(NULL);
    on_cpu(0);
    CHECK_EQ(arch_pt_map(&pt, &q, va_init(VA), pa_init(PAGE_PA), 0, KEEL_FP_RW, false), 0);
    log_reset();
    arch_pt_unmap(&pt, va_init(VA), 0);
    CHECK_EQ(fences(SFENCE_VMA_PAGE, VA, asid, 0), 1);
    CHECK_EQ(asked(NULL), 0);

    watch_pt = NULL;
    arch_pt_activate(NULL);
    arch_pt_destroy(&pt, &q);
    CHECK_EQ(q.used, 0);
}

int main(void)
{
    void *pool = kern_host_pool(64);
    for (unsigned i = 0; i < cpu_count; i++) {
        cpus[i].id = i;
        cpus[i].online = true;
    }
    gstage_set_vmid_bits(7); /* a VMID per VM */
    test_guest();
    test_task();
    free(pool);
    return unit_done("test_riscv64_fences");
}

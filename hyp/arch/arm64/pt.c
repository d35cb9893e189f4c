// SPDX-License-Identifier: MIT
/*
 * Task page tables on arm64: stage-2 tables (VTTBR_EL2), 39-bit input, 4 KiB pages, three levels
 * (1, 2, 3). Tasks run at EL0 with stage 1 off (HCR_EL2.DC), so this is their whole translation;
 * a VM's table has the same format. Each table gets a VMID so switching needs no TLB flush, from
 * a pool with generations (keel/asid.h). A table without a valid VMID (new, or left behind by a
 * new generation) loads as an empty table: the first access faults, and the fault gives it a VMID
 * (arch_pt_fault_fixup). Switching costs nothing more.
 */
#include <keel/arch/pt.h>
#include <keel/quota.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <arch/sysreg.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>

#define S2_VALID 1ull
#define S2_TABLE 3ull
#define S2_PAGE 3ull
#define S2_AF (1ull << 10)
#define S2_SH_INNER (3ull << 8)
#define S2_S2AP_R (1ull << 6)
#define S2_S2AP_W (1ull << 7)
#define S2_XN (2ull << 53)
#define S2_MEMATTR_NORMAL (0xfull << 2) /* outer/inner write-back */
#define S2_MEMATTR_DEVICE (0x1ull << 2) /* device-nGnRE */
#define S2_ADDR_MASK 0x0000fffffffff000ull

static struct asid_pool vmids = { .gen = 1, .count = ASID_POOL_MAX, .next = 1 };
static struct list tables = LIST_INIT(tables); /* every table: a new generation visits them */
static uint64_t empty_root[512] __attribute__((aligned(4096)));
#define EMPTY_VTTBR ((uint64_t)(uintptr_t)empty_root) /* VMID 0: never handed out */

static unsigned idx(vaddr_t va, unsigned level)
{
    return (unsigned)(va_val(va) >> (12 + 9 * (3 - level))) & 511;
}

void arch_tlb_flush_all_local(void)
{
    __asm__ volatile("dsb ishst\n tlbi alle1\n dsb ish\n isb" ::: "memory");
}

uint64_t arch_pt_va_limit(const struct arch_pt *pt)
{
    (void)pt; /* tasks and VM tasks alike */
    return ARCH_USER_VA_LIMIT;
}

int arch_pt_init(struct arch_pt *pt, struct quota *q, bool guest)
{
    (void)guest; /* every task has a stage-2 table: VMs too */
    pt->root = quota_alloc(q, PAGE_SIZE);
    if (!pt->root) {
        return -KEEL_ENOMEM;
    }
    pt->vmid = (struct asid){ 0 };
    pt->vttbr = EMPTY_VTTBR; /* until its first fault gives it a VMID */
    list_push_back(&tables, &pt->link);
    return 0;
}

static void free_level(uint64_t *table, unsigned level, struct quota *q)
{
    if (level < 3) {
        for (unsigned i = 0; i < 512; i++) {
            if ((table[i] & 3) == S2_TABLE) {
                free_level((uint64_t *)(uintptr_t)(table[i] & S2_ADDR_MASK), level + 1, q);
            }
        }
    }
    quota_free(q, table, PAGE_SIZE);
}

/* Invalidates every stage-1+2 TLB entry of a VMID on all CPUs. */
static void flush_vmid(uint64_t vmid)
{
    uint64_t saved = sysreg_read(vttbr_el2);
    sysreg_write(vttbr_el2, (uint64_t)vmid << 48);
    isb();
    __asm__ volatile("dsb ishst\n tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
    sysreg_write(vttbr_el2, saved);
    isb();
}

void arch_pt_destroy(struct arch_pt *pt, struct quota *q)
{
    if (!pt->root) {
        return;
    }
    if (asid_valid(&vmids, &pt->vmid)) {
        flush_vmid(pt->vmid.id); /* (else it has been loaded with no VMID since all were flushed) */
    }
    free_level(pt->root, 1, q);
    asid_release(&vmids, &pt->vmid);
    list_remove(&pt->link);
    pt->root = NULL;
}

/* The level-3 entry for va, creating tables when create is set. */
static uint64_t *leaf(struct arch_pt *pt, struct quota *q, vaddr_t va, bool create)
{
    uint64_t *table = pt->root;
    for (unsigned level = 1; level < 3; level++) {
        uint64_t *e = &table[idx(va, level)];
        if ((*e & 3) != S2_TABLE) {
            if (!create) {
                return NULL;
            }
            uint64_t *next = quota_alloc(q, PAGE_SIZE);
            if (!next) {
                return NULL;
            }
            dsb(ishst);
            *e = (uint64_t)(uintptr_t)next | S2_TABLE;
        }
        table = (uint64_t *)(uintptr_t)(*e & S2_ADDR_MASK);
    }
    return &table[idx(va, 3)];
}

static void tlb_flush_page(struct arch_pt *pt, vaddr_t va)
{
    if (!asid_valid(&vmids, &pt->vmid)) {
        return; /* loaded with no VMID since every TLB was flushed: it has no entries */
    }
    uint64_t saved = sysreg_read(vttbr_el2);
    sysreg_write(vttbr_el2, ((uint64_t)pt->vmid.id << 48) | (uint64_t)(uintptr_t)pt->root);
    isb();
    /* Stage-2 entry by IPA, then stage-1 entries of this VMID (EL0 has stage 1 off: all). */
    __asm__ volatile("dsb ishst\n tlbi ipas2e1is, %0\n dsb ish\n tlbi vmalle1is\n dsb ish\n isb"
                     : : "r"(va_val(va) >> 12) : "memory");
    sysreg_write(vttbr_el2, saved);
    isb();
}

int arch_pt_map(struct arch_pt *pt, struct quota *q, vaddr_t va, paddr_t pa, unsigned rights,
                bool device)
{
    uint64_t *e = leaf(pt, q, va, true);
    if (!e) {
        return -KEEL_ENOMEM;
    }
    uint64_t desc = (pa_val(pa) & S2_ADDR_MASK) | S2_PAGE | S2_AF |
                    (device ? S2_MEMATTR_DEVICE | S2_XN : S2_MEMATTR_NORMAL | S2_SH_INNER);
    if (rights & KEEL_FP_R) {
        desc |= S2_S2AP_R;
    }
    if (rights & KEEL_FP_W) {
        desc |= S2_S2AP_W | S2_S2AP_R;
    }
    if (!(rights & KEEL_FP_X)) {
        desc |= S2_XN;
    }
    uint64_t old = *e;
    if (old & S2_VALID) {
        *e = 0;
        tlb_flush_page(pt, va);
    }
    dsb(ishst);
    *e = desc;
    dsb(ish);
    return 0;
}

void arch_pt_unmap(struct arch_pt *pt, vaddr_t va)
{
    uint64_t *e = leaf(pt, NULL, va, false);
    if (e && (*e & S2_VALID)) {
        *e = 0;
        tlb_flush_page(pt, va);
    }
}

void arch_pt_unmap_begin(struct arch_pt *pt)
{
    (void)pt; /* TLBI ...IS per page is broadcast by the hardware */
}

void arch_pt_unmap_end(struct arch_pt *pt)
{
    (void)pt;
}

void arch_pt_activate(struct arch_pt *pt)
{
    this_cpu()->arch.active_pt = pt;
    sysreg_write(vttbr_el2, pt ? pt->vttbr : EMPTY_VTTBR); /* no ISB: the ERET synchronizes */
}

bool arch_pt_fault_fixup(void)
{
    struct arch_pt *pt = this_cpu()->arch.active_pt;
    if (!pt) {
        return false;
    }
    if (asid_valid(&vmids, &pt->vmid)) {
        if (sysreg_read(vttbr_el2) == pt->vttbr) {
            return false; /* a fault of the task's (or guest's) own */
        }
        sysreg_write(vttbr_el2, pt->vttbr); /* another CPU gave it its VMID meanwhile */
        isb();
        return true;
    }
    struct asid *loaded[KEEL_MAX_CPUS] = { 0 };
    for (unsigned i = 0; i < cpu_count; i++) {
        struct arch_pt *a = cpus[i].arch.active_pt;
        loaded[i] = a && cpus[i].online ? &a->vmid : NULL; /* (an offline CPU's may be gone) */
    }
    if (asid_renew(&vmids, &pt->vmid, loaded, cpu_count)) {
        /* A new generation: the tables that lost their VMID load as the empty table again, and
         * no CPU keeps a translation tagged with a VMID that is handed out anew (broadcast). */
        struct list *l;
        list_for_each(l, &tables) {
            struct arch_pt *t = container_of(l, struct arch_pt, link);
            if (!asid_valid(&vmids, &t->vmid)) {
                t->vttbr = EMPTY_VTTBR;
            }
        }
        __asm__ volatile("dsb ishst\n tlbi alle1is\n dsb ish" ::: "memory");
    }
    pt->vttbr = ((uint64_t)pt->vmid.id << 48) | (uint64_t)(uintptr_t)pt->root;
    sysreg_write(vttbr_el2, pt->vttbr);
    isb();
    return true;
}

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
#include "pt_format.h"

static struct asid_pool vmids = { .gen = 1, .count = ASID_POOL_MAX, .next = 1 };
static struct list tables = LIST_INIT(tables); /* every table: a new generation visits them */
static uint64_t empty_root[512] __attribute__((aligned(4096)));
#define EMPTY_VTTBR ((uint64_t)(uintptr_t)empty_root) /* VMID 0: never handed out */

/* This file's own copy of the format (pt_format.h): its entry functions are called directly. */
static const struct pt_format stage2 = ARM64_STAGE2_FORMAT;
static const struct pt_format *const fmt = &stage2;

/* The walker over this format, its entry functions called directly (keel/pt_walk.h). */
#define S2W_VALID(t, e) s2_valid(e)
#define S2W_IS_LEAF(t, e, l) s2_is_leaf((e), (l))
#define S2W_TABLE(t, pa) s2_table(pa)
#define S2W_ADDR(t, e) s2_addr(e)
PT_WALKER(s2, S2W_VALID, S2W_IS_LEAF, S2W_TABLE, S2W_ADDR)

/* Three levels from a 512-entry root (arm64 levels 1 to 3). */
static struct pt_table table_of(const struct arch_pt *pt)
{
    return (struct pt_table){ fmt, pt->root, 3 };
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
    pt_free_below(fmt, pt->root, 2, PT_ENTRIES, q);
    quota_free(q, pt->root, PAGE_SIZE);
    asid_release(&vmids, &pt->vmid);
    list_remove(&pt->link);
    pt->root = NULL;
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

/* Every entry of this VMID, the walk caches' too: what a table replaced above 2 MiB needs (TLBI
 * by IPA reaches only the cached walks for that IPA's 2 MiB, not the other tables freed). */
static void tlb_flush_vmid(struct arch_pt *pt)
{
    if (!asid_valid(&vmids, &pt->vmid)) {
        return;
    }
    uint64_t saved = sysreg_read(vttbr_el2);
    sysreg_write(vttbr_el2, ((uint64_t)pt->vmid.id << 48) | (uint64_t)(uintptr_t)pt->root);
    isb();
    __asm__ volatile("dsb ishst\n tlbi vmalls12e1is\n dsb ish\n isb" : : : "memory");
    sysreg_write(vttbr_el2, saved);
    isb();
}

unsigned arch_pt_leaf_levels(const struct arch_pt *pt)
{
    (void)pt;
    return fmt->leaf_levels;
}

/* Break before make (Arm ARM D8.14): a valid entry is made invalid and flushed before anything
 * else is written there. */
static void clear_entry(struct arch_pt *pt, uint64_t *e, vaddr_t va)
{
    pt->bbm++;
    *e = 0;
    tlb_flush_page(pt, va);
}

/* Whether the table below entry e (at level) still maps anything. The mapping database has taken
 * out what it holds before a block replaces a table: only what it does not hold can be left, the
 * GICv2 virtual CPU interface (arch_task_map_virt_cpuif), which a block must not silently drop. */
static bool table_in_use(uint64_t e, unsigned level)
{
    const uint64_t *table = kva_from_pa(fmt->addr(e));
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        if (fmt->valid(table[i]) && (level == 1 || fmt->is_leaf(table[i], level - 1) ||
                                     table_in_use(table[i], level - 1))) {
            return true;
        }
    }
    return false;
}

int arch_pt_map(struct arch_pt *pt, struct quota *q, vaddr_t va, paddr_t pa, unsigned level,
                unsigned rights, bool device)
{
    struct pt_table t = table_of(pt);
    uint64_t *e = s2_entry(&t, va, level, q);
    if (!e) {
        unsigned at;
        const uint64_t *leaf = s2_lookup(&t, va, &at);
        return leaf && at > level ? -KEEL_EEXIST /* a block there (not the database's caller) */
                                  : -KEEL_ENOMEM;
    }
    uint64_t old = *e;
    if (fmt->valid(old) && !fmt->is_leaf(old, level) && table_in_use(old, level)) {
        return -KEEL_EEXIST;
    }
    if (fmt->valid(old)) {
        clear_entry(pt, e, va);
        if (!fmt->is_leaf(old, level)) {
            if (level > 1) {
                tlb_flush_vmid(pt); /* cached walks through the tables below */
            }
            pt_free_table(fmt, old, level, q); /* an empty table where a block goes now */
        }
    }
    dsb(ishst);
    *e = fmt->leaf(pa, level, rights, device);
    dsb(ish);
    return 0;
}

int arch_pt_split(struct arch_pt *pt, struct quota *q, vaddr_t va, unsigned level)
{
    struct pt_table t = table_of(pt);
    uint64_t *e = s2_leaf_at(&t, va, level);
    if (!e || level == 0) {
        return 0; /* nothing mapped there as a block */
    }
    uint64_t *table = pt_split_block(fmt, *e, level, q);
    if (!table) {
        return -KEEL_ENOMEM;
    }
    clear_entry(pt, e, va);
    dsb(ishst);
    *e = fmt->table(pa_from_kva(table));
    dsb(ish);
    return 0;
}

void arch_pt_unmap(struct arch_pt *pt, vaddr_t va, unsigned level)
{
    struct pt_table t = table_of(pt);
    uint64_t *e = s2_leaf_at(&t, va, level);
    if (e) {
        *e = 0; /* (for good: no retry for a fault there) */
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

/* Whether the fault came in the moment an entry was being replaced on another CPU (a block split,
 * a table replaced by a block, rights widened: break before make leaves the entry invalid in
 * between): the address is mapped now, the access is tried again. Tasks and guests alike run on
 * stage 2 alone, so HPFAR_EL2 has the faulting address. Only tables that ever had an entry
 * replaced pay for the walk. */
static bool split_raced(struct arch_pt *pt)
{
    if (!pt->bbm || (sysreg_read(esr_el2) & 0x3c) != 0x04) {
        return false; /* (the window gives translation faults; a permission fault is real) */
    }
    uint64_t ipa = (sysreg_read(hpfar_el2) >> 4) << 12;
    if (ipa >= arch_pt_va_limit(pt)) {
        return false; /* beyond the table (a 39-bit input): the walk would leave the root */
    }
    unsigned level;
    struct pt_table t = table_of(pt);
    return s2_lookup(&t, va_init(ipa), &level) != NULL;
}

bool arch_pt_fault_fixup(void)
{
    struct arch_pt *pt = this_cpu()->arch.active_pt;
    if (!pt) {
        return false;
    }
    if (asid_valid(&vmids, &pt->vmid)) {
        if (sysreg_read(vttbr_el2) == pt->vttbr) {
            return split_raced(pt); /* else a fault of the task's (or guest's) own */
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

// SPDX-License-Identifier: MIT
/*
 * Task page tables on riscv64: Sv39, three levels, 4 KiB pages, an ASID per task from a pool with
 * generations (keel/asid.h). A table without a valid ASID (new, or left behind by a new
 * generation) loads as the boot table, which maps nothing for user level: the task's first access
 * faults, and the fault gives it an ASID (arch_pt_fault_fixup). Switching costs nothing more. The
 * upper half
 * of every root table is the kernel's (all physical memory at KERNEL_OFFSET, global), copied from
 * the boot table; the lower half is the task's. A VM task's table is the G-stage format
 * (gstage.c): Sv48x4 (four levels, 256 TiB of guest-physical space) where the harts have it,
 * else Sv39x4 (three, 2 TiB); the same entries (leaves with U set, as G-stage wants) under a
 * larger root that has no kernel half; it is fenced by VMID instead of ASID.
 */
#include <keel/arch/pt.h>
#include <keel/quota.h>
#include <keel/percpu.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <arch/fence.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>
#include "pt_format.h"
#include "gstage.h"
#include "hext.h"
#include <keel/sched.h>

static struct asid_pool asids = { .gen = 1, .count = ASID_POOL_MAX, .next = 1 };
static struct list tables = LIST_INIT(tables); /* every task's table: a new generation visits them */
extern uint64_t boot_pt[512];

/* This file's own copy of the format (pt_format.h): its entry functions are called directly. */
static const struct pt_format sv = RISCV_SV_FORMAT;
static const struct pt_format *const fmt = &sv;

/* The walker over this format, its entry functions called directly (keel/pt_walk.h). */
#define SVW_VALID(t, e) sv_valid(e)
#define SVW_IS_LEAF(t, e, l) sv_is_leaf((e), (l))
#define SVW_TABLE(t, pa) sv_table(pa)
#define SVW_ADDR(t, e) sv_addr(e)
PT_WALKER(sv, SVW_VALID, SVW_IS_LEAF, SVW_TABLE, SVW_ADDR)

/* A task's Sv39 table (its root's lower half) or a VM's G-stage table (a larger root). */
static struct pt_table table_of(const struct arch_pt *pt)
{
    return (struct pt_table){ fmt, pt->root, pt->levels };
}

void arch_tlb_flush_all_local(void)
{
    sfence_vma_all();
    if (hext_present) {
        hfence_gvma_all();
    }
}

uint64_t arch_pt_va_limit(const struct arch_pt *pt)
{
    if (!pt->guest) {
        return ARCH_USER_VA_LIMIT;
    }
    return pt->levels == 4 ? 1ull << 48 : 1ull << 41;
}

static uint64_t satp_of(const uint64_t *root, unsigned asid)
{
    return (8ull << 60) | ((uint64_t)asid << 44) | (pa_val(pa_from_kva(root)) >> 12);
}

int arch_pt_init(struct arch_pt *pt, struct quota *q, bool guest)
{
    pt->guest = guest;
    pt->levels = 3;
    if (guest) {
        pt->levels = gstage_sv48x4() ? 4 : 3;
        return gstage_root_alloc(pt, q);
    }
    pt->root = quota_alloc(q, PAGE_SIZE);
    if (!pt->root) {
        return -KEEL_ENOMEM;
    }
    for (unsigned i = 256; i < 512; i++) {
        pt->root[i] = boot_pt[i];
    }
    pt->asid = (struct asid){ 0 };
    pt->satp = satp_of(boot_pt, 0); /* until its first fault gives it an ASID */
    list_push_back(&tables, &pt->link);
    return 0;
}

/*
 * Invalidates an address (or all with va 0 and all set) of an ASID on every hart that may hold its
 * translations: this one, and the others that have a task's table loaded. A hart in its idle loop
 * holds none: loading the boot table for the idle thread flushed everything, and it has loaded
 * nothing since (all under the big lock). The others are asked to drop all theirs (sched_ask:
 * the kernel's IPIs, sent again until done; not SBI RFENCE, which waits in the firmware for an IPI
 * that QEMU 7.2 may lose). Between
 * arch_pt_unmap_begin() and _end(), an address is invalidated on this hart only. A VM task's
 * table is fenced by VMID (gstage.c). A table whose ASID is of an older generation has not been
 * loaded since every TLB was flushed: nothing to invalidate.
 */
static void flush(struct arch_pt *pt, vaddr_t va, bool all)
{
    if (!pt->guest && !asid_valid(&asids, &pt->asid)) {
        return;
    }
    if (pt->defer && !all) {
        pt->deferred = true;
        if (pt->guest) {
            gstage_fence_local(pt, va_val(va));
        } else {
            sfence_vma_page(va_val(va), pt->asid.id);
        }
        return;
    }
    if (pt->guest) {
        gstage_flush(pt, va_val(va), all);
        return;
    }
    if (all) {
        sfence_vma_asid(pt->asid.id);
    } else {
        sfence_vma_page(va_val(va), pt->asid.id);
    }
    uint32_t others = 0;
    for (unsigned i = 0; i < cpu_count; i++) {
        struct percpu *c = &cpus[i];
        if (c != this_cpu() && c->online && c->arch.active_pt) {
            others |= 1u << i;
        }
    }
    if (others) {
        sched_ask(others, SCHED_ASK_TLB_FLUSH);
    }
}

void arch_pt_destroy(struct arch_pt *pt, struct quota *q)
{
    if (!pt->root) {
        return;
    }
    pt_free_below(fmt, pt->root, pt->levels - 1u, pt->guest ? GSTAGE_ROOT_ENTRIES : 256, q);
    if (pt->guest) {
        gstage_root_free(pt, q); /* fences its VMID */
        return;
    }
    flush(pt, va_init(0), true);
    quota_free(q, pt->root, PAGE_SIZE);
    asid_release(&asids, &pt->asid);
    list_remove(&pt->link);
    pt->root = NULL;
}

unsigned arch_pt_leaf_levels(const struct arch_pt *pt)
{
    (void)pt;
    return fmt->leaf_levels;
}

/* After a new entry where none was valid: this hart may have cached the invalid one. */
static void fence_local(struct arch_pt *pt, vaddr_t va)
{
    if (pt->guest) {
        gstage_fence_local(pt, va_val(va));
    } else {
        sfence_vma_page(va_val(va), pt->asid.id);
    }
}

int arch_pt_map(struct arch_pt *pt, struct quota *q, vaddr_t va, paddr_t pa, unsigned level,
                unsigned rights, bool device)
{
    if (va_val(va) >= arch_pt_va_limit(pt)) {
        return -KEEL_ERANGE;
    }
    struct pt_table t = table_of(pt);
    uint64_t *e = sv_entry(&t, va, level, q);
    if (!e) {
        return -KEEL_ENOMEM;
    }
    uint64_t old = *e;
    if (fmt->valid(old) && !fmt->is_leaf(old, level)) {
        /* An empty table where a block goes now: gone from every hart's walk caches before it is
         * freed. A fence by address drops leaf entries only: the whole space is fenced (and on
         * this hart every space, as non-leaf entries need not be tagged). */
        *e = 0;
        flush(pt, va, true);
        if (!pt->guest) {
            sfence_vma_all();
        }
        pt_free_table(fmt, old, level, q);
        old = 0;
    }
    fence_rw_rw();
    *e = fmt->leaf(pa, level, rights, device);
    if (fmt->valid(old)) {
        flush(pt, va, false);
    } else {
        fence_local(pt, va);
    }
    return 0;
}

int arch_pt_split(struct arch_pt *pt, struct quota *q, vaddr_t va, unsigned level)
{
    struct pt_table t = table_of(pt);
    uint64_t *e = sv_leaf_at(&t, va, level);
    if (!e || level == 0) {
        return 0; /* nothing mapped there as a block */
    }
    uint64_t *table = pt_split_block(fmt, *e, level, q);
    if (!table) {
        return -KEEL_ENOMEM;
    }
    fence_rw_rw();
    *e = fmt->table(pa_from_kva(table)); /* the same translations: the old block may stay cached */
    flush(pt, va, false);
    return 0;
}

void arch_pt_unmap(struct arch_pt *pt, vaddr_t va, unsigned level)
{
    struct pt_table t = table_of(pt);
    uint64_t *e = sv_leaf_at(&t, va, level);
    if (e) {
        *e = 0;
        flush(pt, va, false);
    }
}

void arch_pt_unmap_begin(struct arch_pt *pt)
{
    pt->defer = true;
    pt->deferred = false;
}

void arch_pt_unmap_end(struct arch_pt *pt)
{
    pt->defer = false;
    if (pt->deferred) {
        flush(pt, va_init(0), true); /* one remote fence for all of them */
    }
}

bool arch_pt_fault_fixup(void)
{
    struct arch_pt *pt = this_cpu()->arch.active_pt;
    if (!pt) {
        return false;
    }
    if (asid_valid(&asids, &pt->asid)) {
        if (csr_read(satp) == pt->satp) {
            return false; /* a fault of the task's own */
        }
        csr_write(satp, pt->satp); /* another hart gave it its ASID meanwhile */
        return true;
    }
    struct asid *loaded[KEEL_MAX_CPUS] = { 0 };
    uint32_t others = 0;
    for (unsigned i = 0; i < cpu_count; i++) {
        struct arch_pt *a = cpus[i].arch.active_pt;
        loaded[i] = a && cpus[i].online ? &a->asid : NULL; /* (an offline hart's may be gone) */
        if (&cpus[i] != this_cpu() && cpus[i].online) {
            others |= 1u << i;
        }
    }
    if (asid_renew(&asids, &pt->asid, loaded, cpu_count)) {
        /* A new generation: the tables that lost their ASID load as the boot table again, and
         * no hart keeps a translation tagged with an ASID that is handed out anew. */
        struct list *l;
        list_for_each(l, &tables) {
            struct arch_pt *t = container_of(l, struct arch_pt, link);
            if (!asid_valid(&asids, &t->asid)) {
                t->satp = satp_of(boot_pt, 0);
            }
        }
        sfence_vma_all();
        if (others) {
            sched_ask(others, SCHED_ASK_TLB_FLUSH);
        }
    }
    pt->satp = satp_of(pt->root, pt->asid.id);
    csr_write(satp, pt->satp);
    return true;
}

void arch_pt_activate(struct arch_pt *pt)
{
    /* (Never a VM task's table: it has no threads. Its guests load it into hgatp.) */
    uint64_t satp = pt ? pt->satp : satp_of(boot_pt, 0);
    this_cpu()->arch.active_pt = pt;
    csr_write(satp, satp);
    if (!pt) {
        sfence_vma_all();
        gstage_forget(); /* and the guests' (G-stage) */
    }
}

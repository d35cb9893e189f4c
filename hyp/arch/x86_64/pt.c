// SPDX-License-Identifier: MIT
/*
 * Task page tables on x86_64: 4-level paging, 4 KiB pages. The upper half of every PML4 is the
 * kernel's (the direct map and the image), copied from the boot PML4 — whose tables below it are
 * never replaced, so the copies stay right; the lower half is the task's (it uses entry 0 only:
 * ARCH_USER_VA_LIMIT).
 * No PCIDs (qemu64 has none): loading CR3 flushes the task's translations, so only a CPU that has
 * the table loaded may hold stale translations of a changed entry: it is sent a TLB IPI and this
 * CPU waits until it has flushed (shootdown() says why that cannot deadlock on the big lock).
 *
 * A VM task's table is the nested page table of its guests (AMD SVM, vcpu_svm.c): the same format,
 * without the kernel half, every level user-accessible (nested walks are user accesses). The
 * guests' translations are tagged with their ASID, which loading CR3 does not flush: a CPU that
 * last ran a guest on a changed table flushes them before its next VMRUN (guest_tlb_stale); one
 * running that guest now is sent the TLB IPI too, which makes the guest exit.
 */
#include <keel/arch/pt.h>
#include <keel/quota.h>
#include <keel/percpu.h>
#include <arch/msr.h>
#include <arch/x86.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>
#include "internal.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define TABLE_FLAGS (PTE_P | PTE_W | PTE_U)

extern uint64_t boot_pml4[512];

static unsigned idx(vaddr_t va, unsigned level)
{
    return (unsigned)(va_val(va) >> (12 + 9 * level)) & 511;
}

static uint64_t *table_of(uint64_t pte)
{
    return kva_from_pa(pa_init(pte & PTE_ADDR));
}

static bool has_nx(void)
{
    return (rdmsr(MSR_EFER) & EFER_NXE) != 0;
}

void arch_tlb_flush_all_local(void)
{
    write_cr3(read_cr3()); /* tasks' mappings are not global */
    this_cpu()->arch.guest_tlb_stale = true;
}

void arch_tlb_flush_local(void)
{
    write_cr3(read_cr3());
    this_cpu()->arch.guest_tlb_stale = true; /* the request may be for a VM's table */
    __atomic_store_n(&this_cpu()->arch.tlb_flush, false, __ATOMIC_RELEASE);
}

void arch_tlb_flush_if_asked(void)
{
    if (__atomic_load_n(&this_cpu()->arch.tlb_flush, __ATOMIC_ACQUIRE)) {
        arch_tlb_flush_local();
    }
}

/* Makes every other CPU that has pt loaded (or ran a guest on it) drop its translations, and waits
 * until each has. Which table a CPU has loaded only changes under the big lock, which the caller
 * holds. The CPUs may be at user level (the IPI), in a guest (the IPI ends its run), in the idle
 * loop (the IPI) or spinning on the big lock (arch_cpu_relax). */
static void shootdown(const struct arch_pt *pt)
{
    struct percpu *me = this_cpu();
    for (unsigned i = 0; i < cpu_count; i++) {
        struct percpu *c = &cpus[i];
        /* A CPU turned off that runs its idle thread (halted, or on its way there) answers
         * nothing and runs no task or guest again before it starts anew with an empty TLB
         * (INIT) and no guest table (svm_init_cpu): it is not asked. */
        bool stopping = !c->online && c->current == c->idle;
        if (c != me && !stopping && (c->arch.active_pt == pt || c->arch.guest_pt == pt)) {
            __atomic_store_n(&c->arch.tlb_flush, true, __ATOMIC_RELEASE);
            lapic_send_ipi(c->arch.apic_id, VECTOR_TLB);
        }
    }
    for (unsigned i = 0; i < cpu_count; i++) {
        while (__atomic_load_n(&cpus[i].arch.tlb_flush, __ATOMIC_ACQUIRE)) {
            __asm__ volatile("pause");
        }
    }
}

static void invalidate(const struct arch_pt *pt, vaddr_t va)
{
    if (pt->guest) {
        if (this_cpu()->arch.guest_pt == pt) {
            this_cpu()->arch.guest_tlb_stale = true;
        }
    } else {
        __asm__ volatile("invlpg (%0)" : : "r"(va_val(va)) : "memory");
    }
    if (cpu_count > 1) {
        shootdown(pt);
    }
}

uint64_t arch_pt_va_limit(const struct arch_pt *pt)
{
    (void)pt; /* tasks and VM tasks alike */
    return ARCH_USER_VA_LIMIT;
}

int arch_pt_init(struct arch_pt *pt, struct quota *q, bool guest)
{
    pt->root = quota_alloc(q, PAGE_SIZE);
    if (!pt->root) {
        return -KEEL_ENOMEM;
    }
    pt->guest = guest;
    for (unsigned i = 256; i < 512; i++) {
        pt->root[i] = guest ? 0 : boot_pml4[i];
    }
    pt->cr3 = pa_val(pa_from_kva(pt->root));
    return 0;
}

static void free_level(uint64_t *table, unsigned level, struct quota *q)
{
    for (unsigned i = 0; level > 0 && i < (level == 3 ? 256u : 512u); i++) {
        if (table[i] & PTE_P) {
            free_level(table_of(table[i]), level - 1, q);
        }
    }
    quota_free(q, table, PAGE_SIZE);
}

void arch_pt_destroy(struct arch_pt *pt, struct quota *q)
{
    if (!pt->root) {
        return;
    }
    if (read_cr3() == pa_val(pa_from_kva(pt->root))) {
        arch_pt_activate(NULL);
    }
    for (unsigned i = 0; i < cpu_count; i++) {
        if (cpus[i].arch.guest_pt == pt) {
            cpus[i].arch.guest_pt = NULL; /* a new table at this address is another VM's */
        }
    }
    free_level(pt->root, 3, q);
    pt->root = NULL;
}

static uint64_t *leaf(struct arch_pt *pt, struct quota *q, vaddr_t va, bool create)
{
    uint64_t *table = pt->root;
    for (unsigned level = 3; level > 0; level--) {
        uint64_t *e = &table[idx(va, level)];
        if (!(*e & PTE_P)) {
            if (!create) {
                return NULL;
            }
            uint64_t *next = quota_alloc(q, PAGE_SIZE);
            if (!next) {
                return NULL;
            }
            *e = pa_val(pa_from_kva(next)) | TABLE_FLAGS;
        }
        table = table_of(*e);
    }
    return &table[idx(va, 0)];
}

int arch_pt_map(struct arch_pt *pt, struct quota *q, vaddr_t va, paddr_t pa, unsigned rights,
                bool device)
{
    if (va_val(va) >= ARCH_USER_VA_LIMIT) {
        return -KEEL_ERANGE;
    }
    uint64_t *e = leaf(pt, q, va, true);
    if (!e) {
        return -KEEL_ENOMEM;
    }
    /* Present means readable on x86: R, W and X alone all give read access. */
    uint64_t pte = pa_val(pa) | PTE_P | PTE_U | PTE_A;
    if (rights & KEEL_FP_W) {
        pte |= PTE_W | PTE_D;
    }
    if (!(rights & KEEL_FP_X) && has_nx()) {
        pte |= PTE_NX;
    }
    if (device) {
        pte |= PTE_PCD | PTE_PWT;
    }
    uint64_t old = *e;
    *e = pte;
    if (old & PTE_P) {
        invalidate(pt, va);
    }
    return 0;
}

void arch_pt_unmap(struct arch_pt *pt, vaddr_t va)
{
    uint64_t *e = leaf(pt, NULL, va, false);
    if (e && (*e & PTE_P)) {
        *e = 0;
        invalidate(pt, va);
    }
}

void arch_pt_unmap_begin(struct arch_pt *pt)
{
    (void)pt; /* invalidated per page as before */
}

void arch_pt_unmap_end(struct arch_pt *pt)
{
    (void)pt;
}

void arch_pt_activate(struct arch_pt *pt)
{
    uint64_t cr3 = pt ? pt->cr3 : pa_val(pa_from_kva(boot_pml4));
    this_cpu()->arch.active_pt = pt;
    if (read_cr3() != cr3) {
        write_cr3(cr3);
    }
}

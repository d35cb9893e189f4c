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
 * A VM task's table is the nested page table of its guests: with AMD SVM (vcpu_svm.c) the same
 * format, without the kernel half, every level user-accessible (nested walks are user accesses);
 * with Intel VT-x (vcpu_vmx.c) EPT's format (pt_format_ept.c), walked through the format's
 * functions. The guests' translations are tagged (ASID; VPID and EPTP), which loading CR3 does
 * not flush: a CPU that last ran a guest on a changed table flushes them before its next entry
 * (guest_tlb_stale; on VT-x, where CPUs keep several VMs' translations, every CPU that may hold
 * the table's flushes before it next enters one of its guests: stale_cpus); one running that
 * guest now is sent the TLB IPI too, which makes it exit.
 */
#include <keel/arch/pt.h>
#include <keel/quota.h>
#include <keel/percpu.h>
#include <arch/msr.h>
#include <arch/x86.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>
#include "pt_format.h"
#include "internal.h"
#include "vcpu_x86.h"
#include <hw/vmx.h>

extern uint64_t boot_pml4[512];

static bool has_nx(void)
{
    return (rdmsr(MSR_EFER) & EFER_NXE) != 0;
}

/* The leaf levels this CPU takes: 1 GiB pages (CPUID pdpe1gb) in 4-level paging and in AMD's
 * nested tables alike; EPT's where IA32_VMX_EPT_VPID_CAP says. Asked once, by the first table
 * made (before any mapping). */
static unsigned cpu_leaf_levels, ept_leaf_levels;

static const struct pt_format *format(void)
{
    return has_nx() ? &x86_paging_format : &x86_paging_nonx_format;
}

/* The walker over x86 paging, its entry functions called directly (keel/pt_walk.h): the two
 * formats (with NX, without) differ in their leaves alone, which come from pt->fmt. */
#define X86W_VALID(t, e) x86_valid(e)
#define X86W_IS_LEAF(t, e, l) x86_is_leaf((e), (l))
#define X86W_TABLE(t, pa) x86_table(pa)
#define X86W_ADDR(t, e) x86_addr(e)
PT_WALKER(x86, X86W_VALID, X86W_IS_LEAF, X86W_TABLE, X86W_ADDR)

/* Four levels from the PML4 (the task's lower half, or a VM's nested table). */
static struct pt_table table_of(const struct arch_pt *pt)
{
    return (struct pt_table){ pt->fmt, pt->root, 4 };
}

/* The walks, over x86 paging or EPT (whose entries only the format's functions know). */
static bool is_ept(const struct arch_pt *pt)
{
    return pt->fmt == &x86_ept_format;
}

static uint64_t *entry_at(const struct arch_pt *pt, vaddr_t va, unsigned level, struct quota *q)
{
    struct pt_table t = table_of(pt);
    return is_ept(pt) ? pt_entry(&t, va, level, q) : x86_entry(&t, va, level, q);
}

static uint64_t *leaf_at(const struct arch_pt *pt, vaddr_t va, unsigned level)
{
    struct pt_table t = table_of(pt);
    return is_ept(pt) ? pt_leaf_at(&t, va, level) : x86_leaf_at(&t, va, level);
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
        /* Before the shootdown: a CPU that enters after it, or that the IPI makes exit, sees it
         * (both under the big lock). */
        ((struct arch_pt *)pt)->stale_cpus = ~0u;
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
    pt->fmt = guest && vmx_present && !svm_present ? &x86_ept_format : format();
    _Static_assert(KEEL_MAX_CPUS <= 32, "a bit per CPU in stale_cpus");
    pt->stale_cpus = ~0u; /* every CPU flushes before it first enters a guest of this table (one
                           * at this address before was another VM's) */
    if (!cpu_leaf_levels) {
        cpu_leaf_levels = cpuid(0x80000001, 0).edx & (1u << 26) ? 7u : 3u;
        ept_leaf_levels = vmx_caps.ept_vpid & VMX_EPT_CAP_1G ? 7u : 3u;
    }
    for (unsigned i = 256; i < 512; i++) {
        pt->root[i] = guest ? 0 : boot_pml4[i];
    }
    pt->cr3 = pa_val(pa_from_kva(pt->root));
    return 0;
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
    pt_free_below(pt->fmt, pt->root, 3, 256, q);
    quota_free(q, pt->root, PAGE_SIZE);
    pt->root = NULL;
}

unsigned arch_pt_leaf_levels(const struct arch_pt *pt)
{
    return pt->fmt->leaf_levels & (is_ept(pt) ? ept_leaf_levels : cpu_leaf_levels);
}

int arch_pt_map(struct arch_pt *pt, struct quota *q, vaddr_t va, paddr_t pa, unsigned level,
                unsigned rights, bool device)
{
    if (va_val(va) >= ARCH_USER_VA_LIMIT) {
        return -KEEL_ERANGE;
    }
    uint64_t *e = entry_at(pt, va, level, q);
    if (!e) {
        return -KEEL_ENOMEM;
    }
    uint64_t old = *e;
    if (pt->fmt->valid(old) && !pt->fmt->is_leaf(old, level)) {
        *e = 0; /* an empty table where a large page goes now: out of every TLB before it is freed */
        invalidate(pt, va);
        pt_free_table(pt->fmt, old, level, q);
        old = 0;
    }
    *e = pt->fmt->leaf(pa, level, rights, device);
    if (pt->fmt->valid(old)) {
        invalidate(pt, va);
    }
    return 0;
}

int arch_pt_split(struct arch_pt *pt, struct quota *q, vaddr_t va, unsigned level)
{
    uint64_t *e = leaf_at(pt, va, level);
    if (!e || level == 0) {
        return 0; /* nothing mapped there as a large page */
    }
    uint64_t *table = pt_split_block(pt->fmt, *e, level, q);
    if (!table) {
        return -KEEL_ENOMEM;
    }
    /* The same translations in smaller pages: the SDM (4.10.2.3) wants the large page out of
     * the TLBs before it is used again. */
    *e = pt->fmt->table(pa_from_kva(table));
    invalidate(pt, va);
    return 0;
}

void arch_pt_unmap(struct arch_pt *pt, vaddr_t va, unsigned level)
{
    uint64_t *e = leaf_at(pt, va, level);
    if (e) {
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

// SPDX-License-Identifier: MIT
/*
 * G-stage roots and VMIDs (see gstage.h). Slot i of the pool is VMID i + 1 (VMID 0 stays
 * unused, or shared by all VMs when the hart has too few VMID bits). A slot is zeroed when it is
 * taken, and its VMID fenced when it is given back, so a new VM never sees an old one's
 * translations. Remote fences go only to harts that may hold guest translations (`holds`): those
 * that ran a guest since they last went idle (going idle fences them all, as loading the boot
 * table does for the tasks' in pt.c).
 */
#include "gstage.h"
#include <keel/sched.h>
#include <keel/arch/pt.h>
#include <keel/quota.h>
#include <keel/percpu.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <arch/fence.h>
#include <uapi/keel/err.h>
#include <string.h>

#define ROOT_SIZE (GSTAGE_ROOT_ENTRIES * 8)
#define HGATP_SV39X4 (8ull << 60)
#define HGATP_SV48X4 (9ull << 60)

static uint64_t roots[GSTAGE_ROOTS][GSTAGE_ROOT_ENTRIES] __attribute__((aligned(ROOT_SIZE)));
static bool used[GSTAGE_ROOTS];
static bool vmid_shared;
static bool sv48x4;
static uint32_t generation[GSTAGE_ROOTS];          /* bumped when a slot is given back */
static uint32_t fenced[KEEL_MAX_CPUS][GSTAGE_ROOTS]; /* the generation each hart has fenced */
static const uint64_t *last_root[KEEL_MAX_CPUS];    /* each hart's last root (shared VMID) */
static bool holds[KEEL_MAX_CPUS];                   /* may cache G-stage translations */

void gstage_set_vmid_bits(unsigned bits)
{
    vmid_shared = bits < 32 && (1u << bits) <= GSTAGE_ROOTS;
}

void gstage_set_sv48x4(bool on)
{
    sv48x4 = on;
}

bool gstage_sv48x4(void)
{
    return sv48x4;
}

bool gstage_vmid_shared(void)
{
    return vmid_shared;
}

static uint64_t vmid_of(const struct arch_pt *pt)
{
    return vmid_shared ? 0 : pt->vmid;
}

int gstage_root_alloc(struct arch_pt *pt, struct quota *q)
{
    unsigned i;
    for (i = 0; i < GSTAGE_ROOTS && used[i]; i++) {
    }
    if (i == GSTAGE_ROOTS || quota_charge(q, ROOT_SIZE) != 0) {
        return -KEEL_ENOMEM;
    }
    used[i] = true;
    memset(roots[i], 0, ROOT_SIZE);
    pt->root = roots[i];
    pt->vmid = (uint16_t)(i + 1);
    return 0;
}

void gstage_root_free(struct arch_pt *pt, struct quota *q)
{
    gstage_flush(pt, 0, true);
    generation[pt->vmid - 1]++;
    used[pt->vmid - 1] = false;
    quota_uncharge(q, ROOT_SIZE);
    pt->root = NULL;
}

uint64_t gstage_hgatp(const struct arch_pt *pt)
{
    return (pt->levels == 4 ? HGATP_SV48X4 : HGATP_SV39X4) | (vmid_of(pt) << 44) | (pa_val(pa_from_kva(pt->root)) >> 12);
}

void gstage_load(const struct arch_pt *pt)
{
    unsigned cpu = this_cpu()->id, slot = pt->vmid - 1u;
    /* No guest's VS-stage translations may be cached under another guest's VMID (zero vsatp
     * before switching hgatp: the spec's world-switch order). */
    csr_write(vsatp, 0);
    csr_write(hgatp, gstage_hgatp(pt));
    holds[cpu] = true;
    if (fenced[cpu][slot] != generation[slot] || (vmid_shared && last_root[cpu] != pt->root)) {
        /* A VM that had this VMID before (or, shared, any other VM) ran here: its G-stage and
         * VS-stage translations go. hfence.vvma works on the VMID hgatp now holds. */
        hfence_gvma_vmid(vmid_of(pt));
        hfence_vvma_all();
        fenced[cpu][slot] = generation[slot];
        last_root[cpu] = pt->root;
    }
}

void gstage_forget(void)
{
    unsigned cpu = this_cpu()->id;
    if (holds[cpu]) {
        hfence_gvma_all();
        holds[cpu] = false;
    }
}

void gstage_fence_local(const struct arch_pt *pt, uint64_t gpa)
{
    hfence_gvma_page(gpa, vmid_of(pt));
}

void gstage_flush(const struct arch_pt *pt, uint64_t gpa, bool all)
{
    if (all) {
        hfence_gvma_vmid(vmid_of(pt));
    } else {
        gstage_fence_local(pt, gpa);
    }
    uint32_t others = 0;
    for (unsigned i = 0; i < cpu_count; i++) {
        struct percpu *c = &cpus[i];
        if (c != this_cpu() && c->online && holds[i]) {
            others |= 1u << i;
        }
    }
    if (others) {
        sched_ask(others, SCHED_ASK_TLB_FLUSH);
    }
}

// SPDX-License-Identifier: MIT
/*
 * The virtual CPU interface of GICv3 for guests: list registers, the virtual machine control
 * register and the active-priority registers are per vCPU, loaded while its guest runs and saved
 * when the run ends. The list registers belong to the VMM's interrupt-controller model (they
 * travel in the state area); the kernel injects what must be fast itself — the guest's virtual
 * timer — into a free one without an exit to the VMM. GICv2 (with the virtualization
 * extensions) has the same registers as memory (GICH): the list registers are translated to and
 * from the GICv3 format the state area uses, so VMMs see one format.
 */
#include "vgic.h"
#include <arch/sysreg.h>
#include <keel/mmio.h>
#include <keel/task.h>
#include <keel/percpu.h>
#include <keel/arch/pt.h>
#include <keel/arch/vcpu_ext.h>
#include <uapi/keel/fpage.h>
#include <uapi/keel/err.h>
#include "internal.h"

#define ICH_LR_STATE (KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE)

/* GICv2: the virtual interface control frame. */
enum { GICH_HCR = 0x0, GICH_VTR = 0x4, GICH_VMCR = 0x8, GICH_APR = 0xf0, GICH_LR0 = 0x100 };
static uintptr_t gich;
static uint64_t gicv;

static bool is_v2; /* the board's GIC, known from the first vgic_available() on */

static inline bool v2(void)
{
    return is_v2;
}

/* The list registers: how many the CPU has (ICH_VTR_EL2, GICH_VTR) and how many the VMM's
 * model has (vgic_lr_count): all but the last on GICv3 with two or more, which the kernel keeps
 * for direct delivery (direct delivery is GICv3's only: arch_irq_direct_check). Read once: they
 * are on every VM exit's path. */
unsigned vgic_lrs;
static unsigned lrs_hw;

static void count_lrs(void)
{
    uint64_t vtr;
    if (v2()) {
        vtr = mmio_read32(gich + GICH_VTR) & 0x3f;
    } else {
        __asm__ volatile("mrs %0, S3_4_C12_C11_1" : "=r"(vtr)); /* ICH_VTR_EL2 */
        vtr &= 0x1f;
    }
    unsigned n = (unsigned)vtr + 1;
    lrs_hw = n > VGIC_MAX_LRS ? VGIC_MAX_LRS : n;
    vgic_lrs = !v2() && lrs_hw >= 2 ? lrs_hw - 1 : lrs_hw;
}

bool vgic_available(void)
{
    if (vgic_lrs) {
        return true; /* (known) */
    }
    if (arch_gic_version() != 3 && !gich) {
        arch_gic_v2_virt(&gich, &gicv);
        is_v2 = true;
    }
    if (arch_gic_version() != 3 && !gich) {
        return false;
    }
    count_lrs();
    return true;
}

/* GICv3 ICH_LR <-> GICv2 GICH_LR: vINTID 10 bits, priority's top 5, state, group, EOI (bit 19
 * when not HW). The HW bit never reaches a list register on GICv2: the kernel refuses it from
 * the VMM, and its own direct delivery is GICv3's only (arch_irq_direct_check). */
static uint32_t lr_to_v2(uint64_t lr)
{
    return (uint32_t)((lr & 0x3ff) | ((lr >> 41) & 1) << 19 | ((lr >> 51) & 0x1f) << 23 |
                      ((lr >> 62) & 3) << 28 | ((lr >> 60) & 1) << 30);
}

static uint64_t lr_from_v2(uint32_t v)
{
    return (uint64_t)(v & 0x3ff) | (uint64_t)((v >> 19) & 1) << 41 |
           (uint64_t)((v >> 23) & 0x1f) << 51 | (uint64_t)((v >> 28) & 3) << 62 |
           (uint64_t)((v >> 30) & 1) << 60;
}

/* Per CPU, the list registers that may hold an entry (the others hold 0): only those are read
 * at an exit, and cleared when the next vCPU's are loaded. (At reset: any.) */
static uint32_t lr_used[KEEL_MAX_CPUS] = { [0 ... KEEL_MAX_CPUS - 1] = ~0u };

bool vgic_direct_available(void)
{
    return vgic_available() && vgic_lr_count() < lrs_hw;
}

#define LR_ACCESS(n, op)                                                                   \
    case n:                                                                                \
        op;                                                                                \
        break

static uint64_t lr_read(unsigned n)
{
    uint64_t v = 0;
    if (v2()) {
        return lr_from_v2(mmio_read32(gich + GICH_LR0 + 4 * n));
    }
    switch (n) {
        LR_ACCESS(0, __asm__ volatile("mrs %0, S3_4_C12_C12_0" : "=r"(v)));
        LR_ACCESS(1, __asm__ volatile("mrs %0, S3_4_C12_C12_1" : "=r"(v)));
        LR_ACCESS(2, __asm__ volatile("mrs %0, S3_4_C12_C12_2" : "=r"(v)));
        LR_ACCESS(3, __asm__ volatile("mrs %0, S3_4_C12_C12_3" : "=r"(v)));
        LR_ACCESS(4, __asm__ volatile("mrs %0, S3_4_C12_C12_4" : "=r"(v)));
        LR_ACCESS(5, __asm__ volatile("mrs %0, S3_4_C12_C12_5" : "=r"(v)));
        LR_ACCESS(6, __asm__ volatile("mrs %0, S3_4_C12_C12_6" : "=r"(v)));
        LR_ACCESS(7, __asm__ volatile("mrs %0, S3_4_C12_C12_7" : "=r"(v)));
    default:
        break;
    }
    return v;
}

static void lr_write(unsigned n, uint64_t v)
{
    if (v2()) {
        mmio_write32(gich + GICH_LR0 + 4 * n, lr_to_v2(v));
        return;
    }
    switch (n) {
        LR_ACCESS(0, __asm__ volatile("msr S3_4_C12_C12_0, %0" : : "r"(v)));
        LR_ACCESS(1, __asm__ volatile("msr S3_4_C12_C12_1, %0" : : "r"(v)));
        LR_ACCESS(2, __asm__ volatile("msr S3_4_C12_C12_2, %0" : : "r"(v)));
        LR_ACCESS(3, __asm__ volatile("msr S3_4_C12_C12_3, %0" : : "r"(v)));
        LR_ACCESS(4, __asm__ volatile("msr S3_4_C12_C12_4, %0" : : "r"(v)));
        LR_ACCESS(5, __asm__ volatile("msr S3_4_C12_C12_5, %0" : : "r"(v)));
        LR_ACCESS(6, __asm__ volatile("msr S3_4_C12_C12_6, %0" : : "r"(v)));
        LR_ACCESS(7, __asm__ volatile("msr S3_4_C12_C12_7, %0" : : "r"(v)));
    default:
        break;
    }
}

bool vgic_load(const uint64_t *lr, uint32_t flags, uint64_t direct)
{
    unsigned n = vgic_lr_count();
    uint32_t used = lr_used[this_cpu()->id];
    bool ok = true;
    for (unsigned i = 0; i < n; i++) {
        /* Read once (the VMM may change its area meanwhile), checked, written. An invalid entry
         * goes in as 0: an EOI bit left on it would raise maintenance again. */
        uint64_t x = __atomic_load_n(&lr[i], __ATOMIC_RELAXED);
        if (x & KEEL_VGIC_LR_HW) {
            ok = false; /* it would let the guest deactivate a physical interrupt */
            x = 0;
        }
        x = (x & ICH_LR_STATE) ? x : 0;
        if (x && direct && (uint32_t)x == (uint32_t)direct) {
            ok = false; /* the kernel's entry has that vINTID: two would be UNPREDICTABLE */
            x = 0;
        }
        if (x && (uint32_t)x == VGIC_VTIMER_INTID) {
            x |= KEEL_VGIC_LR_EOI;
        }
        if (x || (used & (1u << i))) { /* (zero already: left alone) */
            lr_write(i, x);
        }
        used = x ? used | (1u << i) : used & ~(1u << i);
    }
    if (n < lrs_hw) { /* the kernel's own: built by the kernel, never the VMM's */
        if (direct || (used & (1u << n))) {
            lr_write(n, direct);
        }
        used = direct ? used | (1u << n) : used & ~(1u << n);
    }
    lr_used[this_cpu()->id] = used;
    if (!ok) {
        return false; /* (En stays off: vgic_save turned it off) */
    }
    /* En, and the maintenance conditions the VMM asked for (UIE and NPIE at the same bits in
     * GICH_HCR and ICH_HCR_EL2). */
    if (v2()) {
        mmio_write32(gich + GICH_HCR, 1u | flags);
        return true;
    }
    __asm__ volatile("msr S3_4_C12_C11_0, %0\n isb" : : "r"(1ull | flags));
    return true;
}

void vgic_save(uint64_t *lr, uint64_t *direct)
{
    unsigned n = vgic_lr_count();
    uint32_t *used = &lr_used[this_cpu()->id];
    for (unsigned i = 0; i < n; i++) {
        /* Only those loaded hold anything: the others are 0 (vgic_load, vgic_inject_live). */
        uint64_t x = (*used & (1u << i)) ? lr_read(i) : 0;
        lr[i] = x;
        if (x == 0) {
            *used &= ~(
                1u << i); /* (an invalid entry with its EOI bit is cleared at the next load) */
        }
    }
    *direct = n < lrs_hw && (*used & (1u << n)) ? lr_read(n) : 0;
    if (v2()) {
        mmio_write32(gich + GICH_HCR, 0);
        return;
    }
    __asm__ volatile("msr S3_4_C12_C11_0, %0\n isb" : : "r"(0ull)); /* off for the host */
}

void vgic_state_load(const struct vgic_state *v)
{
    if (v2()) {
        mmio_write32(gich + GICH_VMCR, (uint32_t)v->vmcr);
        mmio_write32(gich + GICH_APR, (uint32_t)v->ap1r0);
        return;
    }
    __asm__ volatile("msr S3_4_C12_C11_7, %0" : : "r"(v->vmcr)); /* ICH_VMCR_EL2 */
    __asm__ volatile("msr S3_4_C12_C8_0, %0" : : "r"(v->ap0r0)); /* ICH_AP0R0_EL2 */
    __asm__ volatile("msr S3_4_C12_C9_0, %0" : : "r"(v->ap1r0)); /* ICH_AP1R0_EL2 */
}

void vgic_state_save(struct vgic_state *v)
{
    if (v2()) {
        v->vmcr = mmio_read32(gich + GICH_VMCR);
        v->ap1r0 = mmio_read32(gich + GICH_APR);
        return;
    }
    __asm__ volatile("mrs %0, S3_4_C12_C11_7" : "=r"(v->vmcr));
    __asm__ volatile("mrs %0, S3_4_C12_C8_0" : "=r"(v->ap0r0));
    __asm__ volatile("mrs %0, S3_4_C12_C9_0" : "=r"(v->ap1r0));
}

bool vgic_inject_live(unsigned intid, bool group1, uint8_t priority)
{
    uint32_t *used = &lr_used[this_cpu()->id];
    unsigned n = vgic_lr_count(), free = n;
    for (unsigned i = 0; i < n; i++) {
        uint64_t lr = (*used & (1u << i)) ? lr_read(i) : 0;
        if ((lr & ICH_LR_STATE) == 0) {
            if (free == n) {
                free = i;
            }
        } else if ((uint32_t)lr == intid) {
            /* Already there: pending, or active (its handler runs and re-armed the timer
             * before its EOI): then pending too, or the new event would be lost with the
             * timer masked. */
            lr_write(i, lr | KEEL_VGIC_LR_PENDING);
            return true;
        }
    }
    if (free == n) {
        return false;
    }
    lr_write(free, KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_EOI | (group1 ? KEEL_VGIC_LR_GROUP1 : 0) |
                       KEEL_VGIC_LR_PRIORITY(priority) | intid);
    *used |= 1u << free;
    return true;
}

int64_t arch_task_map_virt_cpuif(struct task *t, gpa_t gpa)
{
    if (!vgic_available() || !v2()) {
        return -KEEL_EPROTO; /* GICv3: the guest's CPU interface is system registers */
    }
    if (!t->vm || (gpa_val(gpa) & (PAGE_SIZE - 1)) || gpa_val(gpa) >= ARCH_USER_VA_LIMIT - 0x2000) {
        return -KEEL_EINVAL; /* (a VM's only: an ordinary task has no guest CPU interface) */
    }
    for (uint64_t off = 0; off < 0x2000; off += PAGE_SIZE) { /* GICC's 8 KiB, DIR included */
        int err = arch_pt_map(&t->mem.pt, t->mem.quota, vm_va(gpa_add(gpa, off)), pa_init(gicv + off), 0,
                              KEEL_FP_RW, true);
        if (err) {
            return err;
        }
    }
    return 0;
}

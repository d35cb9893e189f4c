// SPDX-License-Identifier: MIT
/*
 * The virtual CPU interface of GICv3 for guests: list registers, the virtual machine control
 * register and the active-priority registers are per vCPU, loaded while its guest runs and saved
 * when the run ends. The list registers belong to the VMM's interrupt-controller model (they
 * travel in the state area); the kernel injects what must be fast itself — the guest's virtual
 * timer — into a free one without an exit to the VMM. (GICv2 boards hand the timer to the VMM.)
 */
#include "vgic.h"
#include <arch/sysreg.h>

#define ICH_LR_STATE (KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE)

bool vgic_available(void)
{
    return arch_gic_version() == 3;
}

/* The number of list registers (ICH_VTR_EL2), read once: it is on every VM exit's path. */
unsigned vgic_lr_count(void)
{
    static unsigned count;
    if (!count) {
        uint64_t vtr;
        __asm__ volatile("mrs %0, S3_4_C12_C11_1" : "=r"(vtr)); /* ICH_VTR_EL2 */
        unsigned n = (unsigned)(vtr & 0x1f) + 1;
        count = n > VGIC_MAX_LRS ? VGIC_MAX_LRS : n;
    }
    return count;
}

#define LR_ACCESS(n, op)                                                                   \
    case n:                                                                                \
        op;                                                                                \
        break

static uint64_t lr_read(unsigned n)
{
    uint64_t v = 0;
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

void vgic_load(const struct vgic_state *v, const uint64_t *lr, uint32_t flags)
{
    unsigned n = vgic_lr_count();
    for (unsigned i = 0; i < n; i++) {
        /* An invalid entry goes in as 0: an EOI bit left on it would raise maintenance again. */
        lr_write(i, (lr[i] & ICH_LR_STATE) ? lr[i] : 0);
    }
    __asm__ volatile("msr S3_4_C12_C11_7, %0" : : "r"(v->vmcr)); /* ICH_VMCR_EL2 */
    __asm__ volatile("msr S3_4_C12_C8_0, %0" : : "r"(v->ap0r0));  /* ICH_AP0R0_EL2 */
    __asm__ volatile("msr S3_4_C12_C9_0, %0" : : "r"(v->ap1r0));  /* ICH_AP1R0_EL2 */
    /* ICH_HCR_EL2: En, and the maintenance conditions the VMM asked for. */
    __asm__ volatile("msr S3_4_C12_C11_0, %0\n isb" : : "r"(1ull | flags));
}

void vgic_save(struct vgic_state *v, uint64_t *lr)
{
    unsigned n = vgic_lr_count();
    for (unsigned i = 0; i < n; i++) {
        lr[i] = lr_read(i);
    }
    __asm__ volatile("mrs %0, S3_4_C12_C11_7" : "=r"(v->vmcr));
    __asm__ volatile("mrs %0, S3_4_C12_C8_0" : "=r"(v->ap0r0));
    __asm__ volatile("mrs %0, S3_4_C12_C9_0" : "=r"(v->ap1r0));
    __asm__ volatile("msr S3_4_C12_C11_0, %0\n isb" : : "r"(0ull)); /* off for the host */
}

bool vgic_inject_live(unsigned intid)
{
    unsigned n = vgic_lr_count(), free = n;
    for (unsigned i = 0; i < n; i++) {
        uint64_t lr = lr_read(i);
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
    lr_write(free, KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_GROUP1 | KEEL_VGIC_LR_PRIORITY(0xa0) | intid);
    return true;
}

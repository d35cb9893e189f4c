/* SPDX-License-Identifier: MIT */
/* The GICv3 virtual CPU interface of a vCPU (vgic.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <uapi/keel/vcpu.h>

#define VGIC_MAX_LRS KEEL_VGIC_LRS
#define VGIC_MAINTENANCE_PPI 25 /* the GIC architecture's recommended INTID, QEMU virt's */
#define VGIC_VTIMER_INTID 27    /* the guest's virtual timer, as guests see it (the SBSA's) */

/* What the kernel keeps of a vCPU's interface (the list registers are in the state area). */
struct vgic_state {
    uint64_t vmcr, ap0r0, ap1r0;
    uint64_t direct_lr; /* the kernel's list register (direct delivery), loaded at each entry */
};

unsigned arch_gic_version(void);
/* Whether the board's GIC has the virtual CPU interface this file drives (GICv3). Before
 * anything else here (vgic_lr_count included). */
bool vgic_available(void);
/* The number of list registers the VMM's model has (at most VGIC_MAX_LRS): all but the one
 * the kernel keeps for direct delivery (GICv3 with two or more). */
extern unsigned vgic_lrs; /* (vgic.c: set by the first vgic_available() that says true) */
static inline unsigned vgic_lr_count(void)
{
    return vgic_lrs;
}
/* Whether the kernel has a list register of its own for direct delivery. */
bool vgic_direct_available(void);
/* Loads a vCPU's list registers (checked: false for one with the HW bit, or with the vINTID of
 * the kernel's own entry, direct, when there is one) and enables the
 * interface with the maintenance conditions flags (KEEL_VGIC_UNDERFLOW, KEEL_VGIC_NO_PENDING),
 * before entering the guest. An entry for the virtual timer's INTID gets the EOI bit, so that
 * the kernel learns when the guest has taken it. */
bool vgic_load(const uint64_t *lr, uint32_t flags, uint64_t direct);
/* Saves them and disables the interface (after the guest's run). The kernel's own list register
 * goes in direct (0 where there is none): load and save it with the VMM's (direct delivery). */
void vgic_save(uint64_t *lr, uint64_t *direct);
/* The rest of a vCPU's interface state (VMCR, active priorities), which no task uses: into the
 * CPU when the vCPU's EL1 registers go there, out when they leave (vcpu_el2.c). */
void vgic_state_load(const struct vgic_state *v);
void vgic_state_save(struct vgic_state *v);
/* Makes intid pending in a free list register of the loaded vCPU, in that group and with that
 * priority (the guest's, as the VMM's model has them), with the EOI bit (its deactivation raises
 * maintenance); false when none is free. */
bool vgic_inject_live(unsigned intid, bool group1, uint8_t priority);

/* Disables (or enables) the guests' virtual timer interrupt at this CPU's GIC (gic.c). */
void arch_gic_vtimer_mask(bool masked);
/* What an interrupt that stopped a guest was (gic.c). */
enum guest_irq { GUEST_IRQ_KERNEL, GUEST_IRQ_VTIMER, GUEST_IRQ_MAINTENANCE };
enum guest_irq arch_gic_handle_from_guest(void);

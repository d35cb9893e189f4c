/* SPDX-License-Identifier: MIT */
/* The arm64 vCPU state area (extended vCPU mode, see uapi/keel/vcpu.h). What moves at each exit
 * and resume, and what only on the VMM's request: struct keel_vcpu_sync (uapi/keel/vcpu.h). */
#pragma once
#include <stdint.h>

#define KEEL_VGIC_LRS 8

/* The EL1 system registers the guest owns (group KEEL_VCPU_SYNC_SYS: in the area only when the
 * VMM asks, uapi/keel/vcpu.h). */
struct keel_arm64_sys {
    uint64_t sp_el0, sp_el1;
    uint64_t sctlr_el1, cpacr_el1, ttbr0_el1, ttbr1_el1, tcr_el1, esr_el1, far_el1;
    uint64_t afsr0_el1, afsr1_el1, mair_el1, amair_el1, vbar_el1, contextidr_el1, tpidr_el1;
    uint64_t elr_el1, spsr_el1, par_el1, cntkctl_el1, tpidr_el0, tpidrro_el0, csselr_el1;
    uint64_t vmpidr; /* the MPIDR the guest reads (Aff fields; the kernel sets bit 31) */
};

struct keel_vcpu_state {
    struct keel_vcpu_sync sync;
    /* Always in the area at an exit, always taken on resume: general registers and PSTATE (only
     * EL0t/EL1t/EL1h AArch64 modes are accepted), the virtual timer, the exit and the list
     * registers. */
    uint64_t x[31];
    uint64_t pc;
    uint64_t pstate;
    uint64_t cntv_ctl_el0, cntv_cval_el0;
    /* Exit details (written by the kernel). */
    uint64_t exit_esr;   /* ESR_EL2 */
    uint64_t exit_far;   /* FAR_EL2: the guest-virtual fault address */
    uint64_t exit_gpa;   /* guest-physical fault address (from HPFAR_EL2 and FAR's page offset) */
    /* 1 while the guest's timer interrupt is held: the kernel took it (and made INTID 27 pending
     * in a list register, or ended the run with KEEL_VCPU_EXIT_VTIMER) and keeps it disabled at
     * the physical GIC until the guest deactivates INTID 27 in a list register; CNTV_CTL stays as
     * the guest set it. The VMM may write 0 (a reset, or its model dropped the interrupt): the
     * timer's level is then looked at again when the vCPU resumes. (Without list registers, a
     * GICv2 without virtualization extensions, only the VMM can end it.) */
    uint32_t vtimer_held;
    /* Direct delivery (Irq DIRECT, docs/vcpu.md): written by the VMM before each resume,
     * KEEL_VGIC_DIRECT_ON when the guest may take the directly delivered interrupt now (its
     * model has that INTID enabled for this vCPU, and its group), with the group and priority
     * the list register entry gets. Without ON an interrupt that comes is delivered the ordinary
     * way: the line masked, the Irq's attached thread told (Irq UNMASK when done). */
    uint32_t vgic_direct;
    /* Virtual interrupts (GICv3): the list registers, in ICH_LR<n>_EL2 format, are the VMM's
     * interrupt-controller model's. The kernel loads them on resume (the HW bit must be clear:
     * EINVAL; an entry whose state is invalid is loaded as 0) and stores them back on every
     * exit. It may itself make the guest's virtual timer (INTID 27) pending in a free one, and
     * it sets the EOI bit of any entry for INTID 27 (see vtimer_held). */
    uint64_t vgic_lr[KEEL_VGIC_LRS];
    uint32_t vgic_lr_count; /* written by the kernel: list registers the VMM may use (0: none,
                               GICv2 without virtualization extensions); on GICv3 the kernel
                               keeps the last one for direct delivery (one fewer) */
    uint32_t vgic_flags;    /* KEEL_VGIC_*: when to exit with KEEL_VCPU_EXIT_VGIC */
    struct keel_arm64_sys sys; /* KEEL_VCPU_SYNC_SYS */
};

#define KEEL_VGIC_LR_EOI (1ull << 41)       /* exit (VGIC) when the guest deactivates it */
#define KEEL_VGIC_LR_GROUP1 (1ull << 60)
#define KEEL_VGIC_LR_HW (1ull << 61)
#define KEEL_VGIC_LR_PENDING (1ull << 62)
#define KEEL_VGIC_LR_ACTIVE (1ull << 63)
#define KEEL_VGIC_LR_PRIORITY(p) ((uint64_t)((p) & 0xff) << 48)
#define KEEL_VGIC_UNDERFLOW (1u << 1)       /* exit when at most one list register is in use */
#define KEEL_VGIC_NO_PENDING (1u << 3)      /* exit when no list register is pending */
/* The guest may take its timer's interrupt now (the VMM's model has INTID 27 enabled for this
 * vCPU, and its group): the kernel injects it itself, with the group and priority given beside
 * it (the guest's GICR_IGROUPR0 / GICR_IPRIORITYR6 for INTID 27, as the model has them). Without
 * it the kernel ends the run with KEEL_VCPU_EXIT_VTIMER instead (the interrupt held) for the
 * model to keep pending. A VMM without an interrupt-controller model sets KEEL_VGIC_VTIMER_DEFAULT
 * always. */
#define KEEL_VGIC_VTIMER_ON (1u << 16)
#define KEEL_VGIC_VTIMER_GROUP1 (1u << 17)
#define KEEL_VGIC_VTIMER_PRIORITY(p) ((0xffu & (uint32_t)(p)) << 24)
#define KEEL_VGIC_VTIMER_PRIORITY_OF(flags) ((uint8_t)((flags) >> 24))
#define KEEL_VGIC_VTIMER_DEFAULT                                                                   \
    (KEEL_VGIC_VTIMER_ON | KEEL_VGIC_VTIMER_GROUP1 | KEEL_VGIC_VTIMER_PRIORITY(0xa0))
#define KEEL_VGIC_VTIMER_BITS (KEEL_VGIC_VTIMER_DEFAULT | KEEL_VGIC_VTIMER_PRIORITY(0xff))

/* vgic_direct: priority (bits 7:0), group 1 (else 0), the guest may take it now. */
#define KEEL_VGIC_DIRECT_PRIORITY(p) (0xffu & (uint32_t)(p))
#define KEEL_VGIC_DIRECT_GROUP1 (1u << 8)
#define KEEL_VGIC_DIRECT_ON (1u << 31)

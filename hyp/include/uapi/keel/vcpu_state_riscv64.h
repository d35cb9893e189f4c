/* SPDX-License-Identifier: MIT */
/* The riscv64 vCPU state area (extended vCPU mode with the H extension, see uapi/keel/vcpu.h).
 * What moves at each exit and resume, and what only on the VMM's request: struct keel_vcpu_sync
 * (uapi/keel/vcpu.h). */
#pragma once
#include <stdint.h>

/* The VS-level CSRs the guest owns (but vsie and vsatp, which move at every exit), and the two
 * supervisor CSRs that have no VS copy, which the kernel swaps: scounteren (what the guest's
 * user mode may count; firmware usually leaves cycle, time, instret: 7) and senvcfg. Group
 * KEEL_VCPU_SYNC_SYS: in the area only when the VMM asks (uapi/keel/vcpu.h). */
struct keel_riscv_sys {
    uint64_t vsstatus, vstvec, vsscratch, vsepc, vscause, vstval;
    uint64_t scounteren, senvcfg;
};

struct keel_vcpu_state {
    struct keel_vcpu_sync sync;
    /* Always in the area at an exit, always taken on resume: */
    /* Guest general registers (x[0] is ignored and reads back 0), pc, and the guest's nominal
     * privilege: 1 VS-mode, 0 VU-mode (anything else: EINVAL). */
    uint64_t x[32];
    uint64_t pc;
    uint64_t priv;
    /* The interrupts the guest enables (vsie, in VS bit positions: SSIE 1, STIE 5, SEIE 9), and
     * its address translation (vsatp: the VMM reads the trapped instruction through it). */
    uint64_t vsie, vsatp;
    /* The guest's timer compare (Sstc vstimecmp, in time-CSR ticks; UINT64_MAX: none). With
     * KEEL_VCPU_SSTC the hardware raises the guest's timer interrupt itself when time reaches
     * it; without, the VMM must (hvip VSTIP). */
    uint64_t vstimecmp;
    /* Virtual interrupts the VMM asserts: KEEL_HVIP_* (others ignored). Loaded on resume and
     * written back on exit (the guest clears VSSIP itself when it takes a software interrupt). */
    uint64_t hvip;
    /* Fences the VMM asks for on behalf of the guest (SBI RFENCE from other vCPUs):
     * KEEL_VCPU_REQ_*, done on this vCPU's hart before the guest runs again, then cleared by the
     * kernel. */
    uint64_t requests;
    /* Exit details (written by the kernel): the trap's scause, stval, htval, htinst, and for a
     * guest-page fault the guest-physical address (htval << 2 | stval's low two bits). */
    uint64_t exit_scause, exit_stval, exit_htval, exit_htinst, exit_gpa;
    uint64_t features; /* written by the kernel: KEEL_VCPU_* */
    struct keel_riscv_sys sys; /* KEEL_VCPU_SYNC_SYS */
};

#define KEEL_HVIP_VSSIP (1ull << 2)
#define KEEL_HVIP_VSTIP (1ull << 6)
#define KEEL_HVIP_VSEIP (1ull << 10)
#define KEEL_VCPU_SSTC 1ull /* the guest's timer is the hardware's (Sstc vstimecmp) */
#define KEEL_VCPU_REQ_FENCE_I 1ull    /* fence.i: the guest changed code another hart runs */
#define KEEL_VCPU_REQ_FENCE_VMA 2ull  /* hfence.vvma: all of the guest's VS-stage translations */

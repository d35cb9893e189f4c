/* SPDX-License-Identifier: MIT */
/* The arm64 vCPU state area (extended vCPU mode, see uapi/keel/vcpu.h). The kernel reads the
 * guest registers from it on resume and writes them back on every exit to the VMM. */
#pragma once
#include <stdint.h>

struct keel_vcpu_state {
    /* Guest general registers and PSTATE (only EL0t/EL1t/EL1h AArch64 modes are accepted). */
    uint64_t x[31];
    uint64_t pc;
    uint64_t pstate;
    uint64_t sp_el0, sp_el1;
    /* EL1 system registers the guest owns. */
    uint64_t sctlr_el1, cpacr_el1, ttbr0_el1, ttbr1_el1, tcr_el1, esr_el1, far_el1;
    uint64_t afsr0_el1, afsr1_el1, mair_el1, amair_el1, vbar_el1, contextidr_el1, tpidr_el1;
    uint64_t elr_el1, spsr_el1, par_el1, cntkctl_el1, tpidr_el0, tpidrro_el0, csselr_el1;
    uint64_t cntv_ctl_el0, cntv_cval_el0;
    uint64_t vmpidr; /* the MPIDR the guest reads (Aff fields; the kernel sets bit 31) */
    /* Exit details (written by the kernel). */
    uint64_t exit_esr;   /* ESR_EL2 */
    uint64_t exit_far;   /* FAR_EL2: the guest-virtual fault address */
    uint64_t exit_gpa;   /* guest-physical fault address (from HPFAR_EL2 and FAR's page offset) */
};

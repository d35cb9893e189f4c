/* SPDX-License-Identifier: MIT */
/*
 * What an arm64 exit's syndrome says, as pure functions over the vCPU state (host-tested in
 * vcpu/tests/test_vcpu_arm64.c): the MMIO access behind a data abort (Arm ARM D17.2.40, ESR_EL2's
 * ISS for EC 0x24 with ISV set: SAS width, SSE sign extension, SRT register, SF 64-bit register,
 * WnR), its write value and read write-back, and a synchronous external abort injected into the
 * guest as the CPU would take it (D1.10: ESR/FAR/ELR/SPSR_EL1, vector by the mode it came from).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <uapi/keel/vcpu.h>

struct arm64_mmio {
    unsigned width; /* bytes: 1, 2, 4, 8 */
    unsigned rt;    /* register (31: XZR) */
    bool write;
    bool sign;      /* a load that sign-extends (LDRSB, LDRSH, LDRSW) */
    bool sf;        /* the register is 64 bits wide (else Wt: the upper half is cleared) */
};

/* Decodes a data abort's ESR: false when it has no valid syndrome (ISV clear: a load or store
 * pair, a writeback form, a SIMD register), which the VMM cannot emulate. */
bool arm64_mmio_decode(uint64_t esr, struct arm64_mmio *a);
/* What a store writes: the low `width` bytes of its register (XZR: zero). */
uint64_t arm64_mmio_store_value(const struct keel_vcpu_state *s, const struct arm64_mmio *a);
/* A load's result into its register: sign-extended to the register's width (SSE), a W register's
 * upper half cleared (SF clear), nothing for XZR; and the PC past the instruction. */
void arm64_mmio_complete(struct keel_vcpu_state *s, const struct arm64_mmio *a, uint64_t value);
/* The guest takes a synchronous external abort (instruction or data) for the access that just
 * trapped: ESR/FAR/ELR/SPSR_EL1 set, EL1h with DAIF masked, at the vector for its exception level
 * and stack pointer (EL0t: lower EL; EL1t: current EL with SP0; EL1h: current EL with SPx).
 * Needs the EL1 registers in s (KEEL_VCPU_SYNC_SYS valid), and marks them dirty. */
void arm64_inject_abort(struct keel_vcpu_state *s, bool instruction, bool write);
/* Makes the guest take an Undefined Instruction exception (EC 0) at its pc, as above: an
 * instruction the platform does not have (the PMU's registers, a guest without a PMU). */
void arm64_inject_undefined(struct keel_vcpu_state *s);

/* SPDX-License-Identifier: MIT */
/*
 * The EL1 physical timer of a vCPU (CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTP_TVAL_EL0; Arm ARM D11.2),
 * emulated by the VMM: the kernel traps the guest's accesses (CNTHCTL_EL2.EL1PCEN clear) and
 * keeps the EL2 physical timer for itself (docs/vcpu.md says why). It compares with the physical
 * count, which the guest reads itself (CNTPCT_EL0, not trapped) and which is its virtual count
 * too (CNTVOFF_EL2 is 0): keel_cycles(). Its interrupt is PPI 30, level: asserted while ENABLE
 * is set, IMASK clear and the count has reached CVAL. This file is the registers' arithmetic;
 * exit.c traps the accesses, drives the line and wakes the vCPU when it comes due.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define PTIMER_INTID 30 /* the non-secure EL1 physical timer's PPI (SBSA; the timer node's 2nd) */
#define PTIMER_CTL_ENABLE 1u
#define PTIMER_CTL_IMASK 2u
#define PTIMER_CTL_ISTATUS 4u

struct ptimer {
    uint64_t ctl;  /* ENABLE and IMASK as the guest wrote them (ISTATUS is computed) */
    uint64_t cval; /* the compare value, in counts */
};

enum ptimer_reg { PTIMER_TVAL, PTIMER_CTL, PTIMER_CVAL };

/* Whether a trapped MSR/MRS (ESR_EL2, EC 0x18) is one of the timer's registers, and which. */
bool ptimer_reg_of(uint64_t esr, enum ptimer_reg *r);
/* A read at count now: TVAL is CVAL - now, 32 bits; CTL has ISTATUS while enabled and due. */
uint64_t ptimer_read(const struct ptimer *t, enum ptimer_reg r, uint64_t now);
/* A write at count now: TVAL sets CVAL to now + the value, sign-extended from 32 bits. */
void ptimer_write(struct ptimer *t, enum ptimer_reg r, uint64_t value, uint64_t now);
/* Whether the timer's interrupt is asserted at count now. */
bool ptimer_level(const struct ptimer *t, uint64_t now);
/* The count at which it will be asserted (if nothing changes); UINT64_MAX: never. */
uint64_t ptimer_deadline(const struct ptimer *t);

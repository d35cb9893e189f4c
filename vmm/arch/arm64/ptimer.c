// SPDX-License-Identifier: MIT
// The emulated EL1 physical timer's registers (see ptimer.h).
#include "ptimer.h"

/* ISS of MRS/MSR CNTP_<reg>_EL0 (op0 3, op1 3, CRn 14, CRm 2; op2 TVAL 0, CTL 1, CVAL 2) with
 * Rt and the direction masked out. */
#define ISS_SYSREG_MASK 0x3ffc1eu
#define ISS_CNTP(op2) (3u << 20 | (uint32_t)(op2) << 17 | 3u << 14 | 14u << 10 | 2u << 1)

bool ptimer_reg_of(uint64_t esr, enum ptimer_reg *r)
{
    uint32_t iss = (uint32_t)esr & ISS_SYSREG_MASK;
    for (unsigned op2 = 0; op2 < 3; op2++) {
        if (iss == ISS_CNTP(op2)) {
            *r = (enum ptimer_reg)op2;
            return true;
        }
    }
    return false;
}

bool ptimer_level(const struct ptimer *t, uint64_t now)
{
    return (t->ctl & (PTIMER_CTL_ENABLE | PTIMER_CTL_IMASK)) == PTIMER_CTL_ENABLE && now >= t->cval;
}

uint64_t ptimer_deadline(const struct ptimer *t)
{
    return (t->ctl & (PTIMER_CTL_ENABLE | PTIMER_CTL_IMASK)) == PTIMER_CTL_ENABLE ? t->cval
                                                                                  : UINT64_MAX;
}

uint64_t ptimer_read(const struct ptimer *t, enum ptimer_reg r, uint64_t now)
{
    switch (r) {
    case PTIMER_TVAL:
        return (uint32_t)(t->cval - now);
    case PTIMER_CTL:
        return t->ctl | ((t->ctl & PTIMER_CTL_ENABLE) && now >= t->cval ? PTIMER_CTL_ISTATUS : 0);
    case PTIMER_CVAL:
    default:
        return t->cval;
    }
}

void ptimer_write(struct ptimer *t, enum ptimer_reg r, uint64_t value, uint64_t now)
{
    switch (r) {
    case PTIMER_TVAL:
        t->cval = now + (uint64_t)(int64_t)(int32_t)(uint32_t)value;
        break;
    case PTIMER_CTL:
        t->ctl = value & (PTIMER_CTL_ENABLE | PTIMER_CTL_IMASK); /* (ISTATUS is read-only) */
        break;
    case PTIMER_CVAL:
        t->cval = value;
        break;
    }
}

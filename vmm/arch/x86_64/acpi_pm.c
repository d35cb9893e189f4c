// SPDX-License-Identifier: MIT
/*
 * ACPI PM1 registers and PM timer (ACPI 6.4, 4.8.4: the PM1 event and control registers, Tables
 * 4.11-4.13). ACPI is always on: there is no SMI_CMD, PM1_CNT's SCI_EN reads 1. No event is ever
 * raised (so no SCI): PM1_STS reads 0 and its write-one-to-clear bits have nothing to clear.
 * PM1_EN holds its defined enable bits as OSPM writes them (an OS checks that GBL_EN sticks
 * before it uses the global lock in the FACS; with no firmware to share it with, the lock is
 * OSPM's alone). PM1_CNT keeps BM_RLD and SLP_TYP; GBL_RLS and SLP_EN are write-only; SLP_EN
 * with SLP_TYP S5 is the power-off (the DSDT's _S5), and so is SLP_TYP 0: QEMU's chipsets take
 * that as soft off (their DSDTs' _S5 is 0), and firmware built for them (OVMF's ResetSystem)
 * writes it; no sleep state is 0 here. The registers take byte and word accesses
 * as an I/O block does; the timer a 32-bit read.
 */
#include "acpi_pm.h"

#define PM1_EN_BITS 0x4721u /* TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS */
#define PM1_CNT_SCI_EN 0x0001u
#define PM1_CNT_KEPT 0x1c02u /* BM_RLD, SLP_TYP */
#define PM1_CNT_SLP_EN 0x2000u
#define PM1_CNT_SLP_TYP_SHIFT 10

static uint8_t read_byte(const struct acpi_pm *pm, unsigned offset)
{
    switch (offset) {
    case ACPI_PM_EVT + 2:
    case ACPI_PM_EVT + 3:
        return (uint8_t)(pm->enable >> (8 * (offset & 1)));
    case ACPI_PM_CNT:
    case ACPI_PM_CNT + 1:
        return (uint8_t)((pm->control | PM1_CNT_SCI_EN) >> (8 * (offset & 1)));
    default:
        return 0; /* PM1_STS: no event raised */
    }
}

/* Returns whether the byte asked for the power-off. */
static bool write_byte(struct acpi_pm *pm, unsigned offset, uint8_t byte)
{
    unsigned shift = 8 * (offset & 1);
    uint16_t mask = (uint16_t)(0xffu << shift), v = (uint16_t)(byte << shift);
    switch (offset) {
    case ACPI_PM_EVT + 2:
    case ACPI_PM_EVT + 3:
        pm->enable = (uint16_t)((pm->enable & ~mask) | (v & PM1_EN_BITS));
        return false;
    case ACPI_PM_CNT:
    case ACPI_PM_CNT + 1:
        pm->control = (uint16_t)((pm->control & ~mask) | (v & PM1_CNT_KEPT));
        /* SLP_EN and SLP_TYP are in one byte: the write that sets SLP_EN carries the type */
        return (v & PM1_CNT_SLP_EN) &&
               (((pm->control >> PM1_CNT_SLP_TYP_SHIFT) & 7) == ACPI_SLP_TYP_S5 ||
                ((pm->control >> PM1_CNT_SLP_TYP_SHIFT) & 7) == 0);
    default:
        return false; /* PM1_STS: write one to clear, nothing is set */
    }
}

enum acpi_pm_result acpi_pm_access(struct acpi_pm *pm, unsigned offset, unsigned width, bool write,
                                   uint64_t *value, uint32_t timer)
{
    if (offset == ACPI_PM_TMR && pm->timer) {
        if (write || width != 4) {
            return ACPI_PM_REFUSED; /* read-only, read as a whole */
        }
        *value = timer & 0xffffff;
        return ACPI_PM_DONE;
    }
    if ((width != 1 && width != 2 && width != 4) || offset >= ACPI_PM_CNT + 2 ||
        offset + width > (offset < ACPI_PM_CNT ? ACPI_PM_CNT : ACPI_PM_CNT + 2)) {
        return ACPI_PM_REFUSED; /* outside the blocks, or across the event and control blocks */
    }
    bool off = false;
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++) {
        if (write) {
            off |= write_byte(pm, offset + i, (uint8_t)(*value >> (8 * i)));
        } else {
            v |= (uint64_t)read_byte(pm, offset + i) << (8 * i);
        }
    }
    if (!write) {
        *value = v;
    }
    return off ? ACPI_PM_POWER_OFF : ACPI_PM_DONE;
}

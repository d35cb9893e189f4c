/* SPDX-License-Identifier: MIT */
/*
 * The ACPI fixed hardware a VM's FADT names (ACPI 6.4, 4.8): the PM1a event block (PM1_STS,
 * PM1_EN), the PM1a control block (PM1_CNT) and, where the VM has one, the PM timer. A pure model
 * (acpi_pm.c), host-tested; ports.c puts it at keel,acpi-pm's ports.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* Where they are from the device's first port (the FADT's blocks, acpi_tables.c). */
#define ACPI_PM_EVT 0x0 /* PM1a_EVT_BLK: PM1_STS (2 bytes), PM1_EN (2) */
#define ACPI_PM_CNT 0x4 /* PM1a_CNT_BLK: PM1_CNT (2) */
#define ACPI_PM_TMR 0x8 /* PM_TMR_BLK (4): 24 bits at 3.579545 MHz */
#define ACPI_PM_PORTS_NO_TIMER 0x8
#define ACPI_PM_PORTS 0x10
#define ACPI_PM_TIMER_HZ 3579545u
#define ACPI_SLP_TYP_S5 5

struct acpi_pm {
    bool timer;       /* PM_TMR_BLK is there */
    uint16_t enable;  /* PM1_EN as written (its defined bits) */
    uint16_t control; /* PM1_CNT's bits that read back: BM_RLD, SLP_TYP */
};

enum acpi_pm_result {
    ACPI_PM_REFUSED,   /* no register there, or not at that width */
    ACPI_PM_DONE,      /* read or written */
    ACPI_PM_POWER_OFF, /* SLP_EN written with S5's sleep type */
};

/* An access of width bytes at offset; timer: the PM timer's count now (its low 24 bits are read). */
enum acpi_pm_result acpi_pm_access(struct acpi_pm *pm, unsigned offset, unsigned width, bool write,
                                   uint64_t *value, uint32_t timer);

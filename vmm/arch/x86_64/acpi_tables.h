/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables the VMM gives an x86 guest (ACPI 6.4): RSDP, XSDT, FADT (the PM timer and PM1
 * blocks of acpi_pm.c, the reset register), FACS, a DSDT that names the S5 sleep state (power-off)
 * and nothing else, and a MADT with a local APIC per vCPU, the I/O APIC and the ISA interrupt
 * overrides; the FADT says whether there is a CMOS clock. Devices are not in the DSDT: the 16550 is at its legacy port, virtio-mmio devices
 * are named on the kernel command line. A pure function of its arguments (host-tested).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "acpi_pm.h"

#define ACPI_RESET_PORT 0xcf9
#define ACPI_RESET_VALUE 0x06
#define ACPI_SCI_IRQ 9

struct acpi_config {
    unsigned cpus;
    const uint8_t *apic_ids; /* each CPU's local APIC id (distinct, not 0xff); NULL: 0..cpus-1 */
    uint32_t lapic_base, ioapic_base;
    uint16_t pm_base; /* the PM blocks' first port */
    bool pm_timer;    /* with a PM timer at pm_base + ACPI_PM_TMR */
    bool rtc;         /* a CMOS clock at ports 0x70-0x71, with the century at 0x32 */
};

/* Builds the tables into area (size bytes, guest-physical gpa); returns the RSDP's guest-physical
 * address, or 0 when they do not fit. */
uint64_t acpi_build(uint8_t *area, uint64_t size, uint64_t gpa, const struct acpi_config *c);

/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables the VMM gives an x86 guest (ACPI 6.4): RSDP, XSDT, FADT (the PM timer and PM1
 * blocks of acpi_pm.c, the reset register), FACS, a DSDT, and a MADT with a local APIC per vCPU,
 * the I/O APIC and the ISA interrupt overrides; the FADT says whether there is a CMOS clock. The
 * DSDT names the S5 sleep state (power-off) and, when the VM has a PCI host bridge, the bridge
 * (\_SB.PCI0, bus 0 and its windows) and the motherboard resource that reserves its ECAM window
 * (\_SB.MRES), which an MCFG table then describes, with the GSI each slot's INTA drives (_PRT).
 * Other devices are not in the DSDT: the 16550 is at its legacy port, virtio-mmio devices are
 * named on the kernel command line. A pure function of its arguments (host-tested).
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
    /*
     * A PCI host bridge (pci): segment 0, bus 0 only, configured through ECAM (ACPI_ECAM_SIZE at
     * ecam_base: aligned to it, below 4 GiB, since Linux ignores an MCFG entry above without an
     * SMBIOS BIOS date of 2010 or later) or ports 0xcf8-0xcff. Its BARs go in the memory windows
     * (mem32 below 4 GiB, mem64_size 0: none above); no I/O BARs. The windows, ECAM and the APIC
     * pages must not overlap.
     */
    bool pci;
    uint64_t ecam_base;
    uint64_t mem32_base, mem32_size;
    uint64_t mem64_base, mem64_size;
    /*
     * INTx routing (with pci only), for drivers that do not use MSI-X: pci_intx_gsi[s] is the
     * I/O APIC input (GSI; the I/O APIC is at GSI base 0) that INTA of slot s on bus 0 drives, or
     * 0 for none (input 0, the 8259's on PCs, is never a PCI line here). Only INTA is described:
     * the functions raise no other pin. The DSDT then has a _PRT in \_SB.PCI0 with an entry per
     * slot that has a GSI, and none when no slot has one. As ACPI has it for a GSI in a _PRT,
     * such a line is level-triggered and active low (Linux programs its I/O APIC entry so; the
     * VMM's model ignores the polarity). Each GSI must be one of the I/O APIC's inputs.
     */
    uint8_t pci_intx_gsi[32];
};

#define ACPI_ECAM_SIZE                                                                             \
    (1ull << 20) /* bus 0's configuration space: 32 slots x 8 functions x 4 KiB */

/* Builds the tables into area (size bytes, guest-physical gpa); returns the RSDP's guest-physical
 * address, or 0 when they do not fit or c describes no valid machine. */
uint64_t acpi_build(uint8_t *area, uint64_t size, uint64_t gpa, const struct acpi_config *c);

/*
 * The same tables for firmware that places them itself, QEMU's way (fw_cfg "etc/table-loader",
 * as QEMU's hw/acpi/bios-linker-loader.c writes it and OVMF's and SeaBIOS's loaders read it):
 * two blobs, ACPI_LOADER_RSDP_FILE (the RSDP, 36 bytes) and ACPI_LOADER_TABLES_FILE (the other
 * tables, *tables_size bytes of area), whose pointers hold offsets into the tables blob and whose
 * checksums are 0, and a script of 128-byte commands: ALLOCATE each blob, ADD_POINTER for every
 * pointer (RSDP to XSDT, XSDT to each table, FADT to FACS and DSDT), ADD_CHECKSUM for every
 * checksum. Returns the script's length in bytes (at most script_max), or 0 as acpi_build().
 */
#define ACPI_LOADER_RSDP_FILE "etc/acpi/rsdp"
#define ACPI_LOADER_TABLES_FILE "etc/acpi/tables"
#define ACPI_LOADER_ENTRY 128
#define ACPI_LOADER_MAX_ENTRIES 24
unsigned acpi_build_for_loader(uint8_t *area, uint64_t size, uint64_t *tables_size,
                               uint8_t rsdp[36], uint8_t *script, unsigned script_max,
                               const struct acpi_config *c);

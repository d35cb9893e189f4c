/* SPDX-License-Identifier: MIT */
/* The ACPI tables of this VM (acpi_vm.c): what acpi_tables.c describes, from the VM's platform. */
#pragma once
#include "../../vm.h"
#include "acpi_tables.h"

/* The machine the tables describe: the vCPUs (their APIC ids into ids[VM_MAX_VCPUS]), the
 * interrupt controllers, the PM block, the clock and the PCI bus as the platform made them. */
void x86_acpi_config(struct vm *vm, struct acpi_config *ac, uint8_t *ids);
/* For firmware that builds its own ACPI (OVMF): the tables as fw_cfg files with QEMU's table
 * loader (acpi_build_for_loader). Once per VMM (a reset offers the same files again); 0, or -1
 * after saying why. */
int x86_acpi_to_fw_cfg(struct vm *vm);

// SPDX-License-Identifier: MIT
// The ACPI tables of this VM (see acpi_vm.h).
#include "acpi_vm.h"
#include "../../dev/pci_bus.h"
#include "../../dev/fw_cfg_vm.h"
#include <keel/rt.h>

void x86_acpi_config(struct vm *vm, struct acpi_config *ac, uint8_t *ids)
{
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        ids[i] = (uint8_t)vm->vcpus[i].arch.lapic.id;
    }
    *ac = (struct acpi_config){ .cpus = vm->vcpu_count,
                                .apic_ids = ids,
                                .lapic_base = (uint32_t)vm->arch.lapic_base,
                                .ioapic_base = (uint32_t)vm->arch.ioapic_base,
                                .pm_base = vm->arch.acpi_pm_base,
                                .pm_timer = vm->arch.acpi_pm_timer,
                                .rtc = vm->arch.rtc };
    struct pci_bus *pci = pci_bus_of(vm);
    if (pci) { /* MCFG, and the root bridge in the DSDT with its windows */
        ac->pci = true;
        ac->ecam_base = pci->ecam_base;
        ac->mem32_base = pci->host.mem32_base;
        ac->mem32_size = pci->host.mem32_size;
        ac->mem64_base = pci->host.mem64_base;
        ac->mem64_size = pci->host.mem64_size;
        for (unsigned s = 0; s < PCI_SLOTS; s++) {
            ac->pci_intx_gsi[s] = (uint8_t)pci->intx[s]; /* _PRT: I/O APIC lines, all < 24 */
        }
    }
}

/* The files' contents: fw_cfg hands them out from here for the VMM's life. */
static uint8_t tables[0x10000], rsdp[36];
static uint8_t script[ACPI_LOADER_MAX_ENTRIES * ACPI_LOADER_ENTRY];
static bool offered;

int x86_acpi_to_fw_cfg(struct vm *vm)
{
    if (offered) {
        return 0;
    }
    if (!vm->arch.acpi_pm_base || !vm->arch.lapic_base || !vm->arch.ioapic_base) {
        printf("vmm: %s: ACPI for the firmware needs the LAPIC, the I/O APIC and keel,acpi-pm in "
               "the device tree\n",
               vm->name);
        return -1;
    }
    uint8_t ids[VM_MAX_VCPUS];
    struct acpi_config ac;
    x86_acpi_config(vm, &ac, ids);
    uint64_t size = 0;
    unsigned len = acpi_build_for_loader(tables, sizeof(tables), &size, rsdp, script,
                                         sizeof(script), &ac);
    if (!len) {
        printf("vmm: %s: no ACPI tables for this VM (see acpi_tables.h's rules)\n", vm->name);
        return -1;
    }
    if (!fw_cfg_vm_add_file(ACPI_LOADER_RSDP_FILE, rsdp, sizeof(rsdp)) ||
        !fw_cfg_vm_add_file(ACPI_LOADER_TABLES_FILE, tables, size) ||
        !fw_cfg_vm_add_file("etc/table-loader", script, len)) {
        printf("vmm: %s: the ACPI tables need a fw_cfg device (keel,fw-cfg) with room for 3 "
               "files\n",
               vm->name);
        return -1;
    }
    offered = true;
    return 0;
}

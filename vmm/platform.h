/* SPDX-License-Identifier: MIT */
/*
 * The virtual platform from the VM device tree: each top-level node whose compatible a device
 * model knows becomes that device. The models are const tables of {compatible, create}: the
 * generic ones (platform.c: UARTs, virtio-mmio) and the architecture's (arch/<arch>/platform.c:
 * interrupt controllers, made first, since the other devices raise their lines through them).
 * A new device model is its file and one entry in a table.
 */
#pragma once
#include "vm.h"
#include <libfdt.h>

struct device_model {
    const char *compatible;
    /* Makes the device of node: 0, or -1 when it cannot (it says why). */
    int (*create)(struct vm *vm, const void *fdt, int node);
};

/* The architecture's models (ended by an entry without compatible). */
extern const struct device_model arch_device_models[];

/* Creates the devices of the tree's top-level nodes. Returns 0 or -1 (a message said why). */
int platform_devices(struct vm *vm, const void *fdt);
/* The interrupt the node's "interrupts" names, as the VM's interrupt number (vm_irq_set). */
bool arch_device_irq(const void *fdt, int node, unsigned *intid);
/* The same from an interrupt specifier of len bytes (the interrupt controller's cells). */
bool arch_irq_cells(const fdt32_t *cells, int len, unsigned *intid);
/* The 64-bit PCI window firmware of this platform uses when the tree gives none (x86 q35: OVMF's,
 * from the CPU's physical address width and, where it does not trust that, the end of RAM at
 * ram_end): true with it, false when there is none. */
bool arch_pci_mmio64_window(uint64_t ram_end, uint64_t *base, uint64_t *size);
/* Sends an MSI (a PCI function's message) to the interrupt controller model; takes
 * vm->irq_lock. An address the model does not decode is reported. */
void arch_msi_send(struct vm *vm, uint64_t address, uint32_t data);

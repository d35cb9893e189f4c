/* SPDX-License-Identifier: MIT */
/* The VM's virtio devices from its device tree (dev/virtio_devices.c). */
#pragma once
#include "../vm.h"

/* Creates the device of a "virtio,mmio" node (its keel,device names the model). 0 or -1. */
int virtio_device_create(struct vm *vm, const void *fdt, int node, gpa_t base, unsigned irq);
struct pci_bus;
/* Creates the virtio-pci device of a child node of the PCI host bridge, in slot. 0 or -1. */
int virtio_pci_device_create(struct vm *vm, const void *fdt, int node, struct pci_bus *bus,
                             unsigned slot);

/* SPDX-License-Identifier: MIT */
/*
 * The virtual platform from the VM device tree: the generic device models (platform.c) and the
 * architecture's own (arch/<arch>/platform.c: interrupt controllers, interrupt specifiers).
 */
#pragma once
#include "vm.h"

/* Creates the devices of the tree's top-level nodes. Returns 0 or -1 (a message said why). */
int platform_devices(struct vm *vm, const void *fdt);
/* Creates the device of node if it is the architecture's: 1 done, 0 not ours, -1 error. */
int arch_device_create(struct vm *vm, const void *fdt, int node);
/* The interrupt the node's "interrupts" names, as the VM's interrupt number (vm_irq_set). */
bool arch_device_irq(const void *fdt, int node, unsigned *intid);

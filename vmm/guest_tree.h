/* SPDX-License-Identifier: MIT */
/* What of the VM device tree the guest does not get (vmm/guest_tree.c, docs/vmm.md). */
#pragma once

/*
 * Removes from the VM device tree fdt (in place, before any device is made), each with one line
 * "vmm: <vm>: <node>: <why>, left out of the guest's tree": a virtio,mmio node without a backend
 * (no keel,device), and a node of a kind Keel does not model that QEMU's virt boards have (PMU,
 * GIC ITS and v2m frames, PL061 GPIO and gpio-keys on a controller that went, the platform bus)
 * unless it is a keel,board-device; then an msi-parent or msi-map property naming a node left
 * out. Returns the
 * number of nodes removed, or -1 when the tree cannot be edited (one line says why).
 */
int guest_tree_trim(void *fdt, const char *vm_name);

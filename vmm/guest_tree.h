/* SPDX-License-Identifier: MIT */
/* What of the VM device tree the guest does not get, and what it gets besides (vmm/guest_tree.c,
 * docs/vmm.md). */
#pragma once
#include "entropy.h"

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

#define GUEST_TREE_RNG_SEED 64 /* bytes of /chosen rng-seed */

/*
 * Writes fresh seeds from e into the guest's copy fdt of the tree (each boot: the guest's, made
 * again at every reset): /chosen kaslr-seed (a u64, never 0: Linux takes 0 for none) and
 * rng-seed (GUEST_TREE_RNG_SEED bytes), as QEMU does; /chosen is made if missing. Seeds the VM
 * tree has already are replaced: one in a file is the same at every boot, and known. Returns 0,
 * or -1 when there is no room in fdt (one line says so).
 */
int guest_tree_seed(void *fdt, struct entropy *e, const char *vm_name);

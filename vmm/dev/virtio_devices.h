/* SPDX-License-Identifier: MIT */
/* The VM's virtio-mmio devices from its device tree (dev/virtio_devices.c). */
#pragma once
#include "../vm.h"

/* Creates the device of a "virtio,mmio" node (its keel,device names the model). 0 or -1. */
int virtio_device_create(struct vm *vm, const void *fdt, int node, gpa_t base, unsigned irq);

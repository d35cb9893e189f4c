/* SPDX-License-Identifier: MIT */
/*
 * The VM's fw_cfg device (fw_cfg.h's model) from its device tree (fw_cfg_vm.c has the binding):
 * arm64 and riscv64 have it as an MMIO window (a top-level "qemu,fw-cfg-mmio" node, platform.c's
 * table), x86_64 in I/O-port space (a "keel,fw-cfg" node under isa, ports.c). One per VM.
 */
#pragma once
#include "../vm.h"

/* Offers one more file (the VMM's own: the ACPI tables for firmware): false when the VM has no
 * fw_cfg, the name is taken or the table is full. data stays the caller's, unchanged. */
bool fw_cfg_vm_add_file(const char *name, const void *data, uint64_t size);
/* The model of a "qemu,fw-cfg-mmio" node (platform.c's table): 0, or -1 after saying why. */
int fw_cfg_vm_from_dt(struct vm *vm, const void *fdt, int node);
/* The model of a "keel,fw-cfg" node under x86's isa node, in the port device d that ports.c made
 * from its reg (which must be <1 0x510 0xc>): 0, or -1 after saying why. */
int fw_cfg_vm_ports(struct vm *vm, const void *fdt, int node, struct mmio_device *d);

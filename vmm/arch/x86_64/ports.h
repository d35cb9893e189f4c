/* SPDX-License-Identifier: MIT */
/* The VM's I/O-port space (ports.c). */
#pragma once
#include "../../vm.h"

/* The devices of the ISA bus node isa. Returns 0 or -1 (a message said why). */
int ports_create_isa(struct vm *vm, const void *fdt, int isa);
/* An access of width bytes (1, 2, 4) at port: false when no device takes it. */
bool ports_access(struct vm *vm, unsigned port, unsigned width, bool write, uint64_t *value);

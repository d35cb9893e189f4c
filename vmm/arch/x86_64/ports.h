/* SPDX-License-Identifier: MIT */
/* The VM's I/O-port space (ports.c). */
#pragma once
#include "../../vm.h"

/* The devices of the ISA bus node isa. Returns 0 or -1 (a message said why). */
int ports_create_isa(struct vm *vm, const void *fdt, int isa);
/* An access of width bytes (1, 2, 4) at port: false when no device takes it. */
bool ports_access(struct vm *vm, unsigned port, unsigned width, bool write, uint64_t *value);
/* A reset of the VM: each port device's reset hook (as vm_devices_reset for MMIO). */
void ports_reset(struct vm *vm);
/* The 8254's and the CMOS clock's interrupts (vCPU 0 calls it before each resume, without the
 * interrupt controller's lock): raises the lines of what is due; returns when the next event is,
 * in kernel timer ticks (UINT64_MAX: none). */
uint64_t ports_clock_events(struct vm *vm);
/* The time of day at kernel clock cycles (keel_cycles()): the CMOS clock's when the VM has one
 * (what the guest set it to, else keel,epoch at its creation), else 2000-01-01 at the VM's
 * start. Seconds since 1970; *nsec the fraction. */
uint64_t ports_wall_clock(uint64_t cycles, uint32_t *nsec);

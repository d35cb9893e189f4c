/* SPDX-License-Identifier: MIT */
/* A board device passed through to the guest (passthrough.c). */
#pragma once
#include "../vm.h"

/* Makes the node's passthrough device (it has keel,board-device; at most VM_MAX_PASSTHROUGH),
 * after every emulated device (its window must overlap none of theirs): 0, or -1 (it said
 * why). */
int passthrough_from_dt(struct vm *vm, const void *fdt, int node);
/* Hooks of vCPU v's loop (vmm/vcpu.c, the WFI wait): before a resume (direct delivery given to
 * the kernel, again after a VM reset or after v was off); v is off (PSCI CPU_OFF: the direct
 * delivery to it ends); a message to v's thread with label taken out of its wait (true: it was a
 * passthrough device's); an EVENT exit (the interrupts that came meanwhile). */
void passthrough_before_resume(struct vcpu *v);
void passthrough_vcpu_off(struct vcpu *v);
bool passthrough_message(struct vcpu *v, uint64_t label);
void passthrough_poll(struct vcpu *v);
/* Whether v's thread has passthrough interrupts attached: its waits must be open waits. */
bool passthrough_on(const struct vcpu *v);
/* The counts for the statistics at the end: interrupts that came through the VMM. */
void passthrough_print_stats(struct vm *vm);

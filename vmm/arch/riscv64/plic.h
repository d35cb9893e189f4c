/* SPDX-License-Identifier: MIT */
/*
 * The VM's PLIC as the VMM models it (plic.c): interrupt sources raised by device models
 * (vm_irq_set), priorities, per-context enables and thresholds, claim and complete. Context
 * 2 i is vCPU i's M-mode (never delivered), context 2 i + 1 its S-mode: its pending interrupt is
 * the guest's external interrupt (hvip VSEIP), set before the vCPU resumes.
 */
#pragma once
#include "../../vm.h"

/* Creates the model from the VM device tree's PLIC node (base, size, riscv,ndev sources).
 * Returns 0 or -1 (a message said why). */
int plic_create(struct vm *vm, gpa_t base, uint64_t size, unsigned sources);
/* Whether v's S-mode context has an interrupt to claim (takes the interrupt controller's lock, vm->irq_lock). */
bool plic_pending(struct vm *vm, struct vcpu *v);
/* The VM's reset (arch_vm_reset): priorities, enables, thresholds 0, nothing in service; a line
 * that is still high is pending again. */
void plic_reset(struct vm *vm);

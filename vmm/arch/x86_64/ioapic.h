/* SPDX-License-Identifier: MIT */
/* The I/O APIC model (ioapic.c): the VM's interrupt lines (vm_irq_set) to its local APICs. */
#pragma once
#include "../../vm.h"

/* The I/O APIC at base (0xfec00000 on PCs), 24 lines. 0 or -1 (too many devices). */
int ioapic_create(struct vm *vm, gpa_t base);
/* The guest ended a level-triggered vector at a local APIC (its EOI): lines routed to it may
 * interrupt again (vm->irq_lock held). */
void ioapic_eoi(struct vm *vm, unsigned vector);

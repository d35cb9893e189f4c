/* SPDX-License-Identifier: MIT */
/*
 * The VM's GIC as the VMM models it: interrupt state per INTID and the list registers of each
 * vCPU's state area, which the kernel loads into the hardware's virtual CPU interface (vgic.c);
 * the registers of a GICv3 (distributor, one redistributor per vCPU; vgic_v3.c) or a GICv2
 * (distributor; vgic_v2.c). The guest's CPU interface is the hardware's (GICv3: ICC_* registers,
 * of which only SGI generation traps to the VMM; GICv2: the GICV frame mapped as its GICC).
 */
#pragma once
#include "../../vm.h"

/* Creates the model from the VM device tree's "arm,gic-v3" node: the distributor at dist, the
 * redistributors from redist (one 128 KiB frame per vCPU). Returns 0 or -1 (a message said why). */
int vgic_create(struct vm *vm, gpa_t dist, gpa_t redist, uint64_t redist_size);
/* The same for a GICv2 ("arm,cortex-a15-gic", "arm,gic-400"): the distributor at dist; the
 * kernel maps the hardware's virtual CPU interface at cpuif (the tree's GICC). */
int vgic_create_v2(struct vm *vm, gpa_t dist, gpa_t cpuif);
/* Before the calling vCPU resumes: retires what the guest finished from its list registers and
 * fills free ones with its pending interrupts, by priority (takes the interrupt controller's lock, vm->irq_lock). */
void vgic_flush(struct vm *vm, struct vcpu *v);
/* Whether v has an interrupt to take (a WFI need not wait). After vgic_flush. */
bool vgic_has_pending(struct vm *vm, struct vcpu *v);
/* The guest wrote ICC_SGI1R_EL1 (a trapped system register write). */
void vgic_sgi(struct vm *vm, struct vcpu *from, uint64_t sgi1r);
/* The level of v's private interrupt intid (16-31) as its device (the emulated physical timer)
 * drives it; a rise makes it pending (takes vm->irq_lock on a change only). */
void vgic_ppi_level(struct vm *vm, struct vcpu *v, unsigned intid, bool level);
/* The kernel had no free list register for v's virtual timer: deliver it through the model. */
void vgic_vtimer(struct vm *vm, struct vcpu *v);
/* A reset of the VM: the distributor, redistributors and every vCPU's list registers as at
 * power on (the vCPUs parked); the devices' line levels stay. */
void vgic_model_reset(struct vm *vm);

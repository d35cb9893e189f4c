/* SPDX-License-Identifier: MIT */
/* The local APIC model (lapic.c): one xAPIC per vCPU, behind one guest-physical page. */
#pragma once
#include "../../vm.h"

#define LAPIC_BASE 0xfee00000ull

/* The LAPIC page at base (LAPIC_BASE on PCs) for every vCPU of vm. 0 or -1 (too many devices). */
int lapic_create(struct vm *vm, gpa_t base);
/* Makes vector pending at vCPU v (vm->irq_lock held) and kicks it; level: its EOI goes on to the I/O
 * APIC (ioapic_eoi). */
void lapic_raise(struct vcpu *v, unsigned vector, bool level);
/* Before v resumes (vm->irq_lock held): timer expiry into IRR, the highest deliverable vector into
 * the state's inject when the guest can take it (else an interrupt-window request), and the
 * timer's next expiry as the kernel-kept timer_deadline. */
void lapic_before_resume(struct vcpu *v, struct keel_vcpu_state *s);
/* An MSI (vm->irq_lock held): address 0xfeeDD00M (destination DD, logical when M has bit 2),
 * data's vector and delivery mode (fixed, lowest priority) and trigger (bit 15: level). */
void lapic_msi(struct vm *vm, uint64_t address, uint32_t data);
/* Whether v has a vector its guest would take now or once it enables interrupts (HLT: do not
 * sleep). */
bool lapic_pending(const struct vcpu *v);
/* IA32_TSC_DEADLINE (MSR 0x6e0) of the vCPU's timer in TSC-deadline mode. */
void lapic_tsc_deadline_write(struct vcpu *v, uint64_t tsc);
uint64_t lapic_tsc_deadline_read(struct vcpu *v);

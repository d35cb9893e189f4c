/* SPDX-License-Identifier: MIT */
/* Declarations shared inside hyp/arch/x86_64 (not part of the architecture contract). */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <keel/addr.h>

/* acpi.c: the MADT. CPUs present (local APIC ids, enabled ones first as listed); 0 without ACPI. */
unsigned acpi_cpus(uint64_t *apic_ids, unsigned max);
/* The first I/O APIC: its physical address and first GSI; false when the MADT names none. */
bool acpi_ioapic(paddr_t *base, unsigned *gsi_base);
/* The GSI an ISA IRQ is wired to (an interrupt source override, else the same number). */
unsigned acpi_isa_gsi(unsigned isa_irq, bool *active_low, bool *level);

/* directmap.c: maps RAM above 4 GiB into the direct map (boot, before kmem). */
struct boot_info;
void directmap_extend(struct boot_info *bi);

/* lapic.c: this CPU's local APIC. */
void lapic_init_cpu(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, unsigned vector);
/* INIT, then two STARTUP IPIs with the real-mode page AP_TRAMPOLINE_PA. */
void lapic_start_cpu(uint32_t apic_id);
void lapic_timer_oneshot(uint32_t count);
uint32_t lapic_timer_count(void);

/* gdt.c / idt.c: per-CPU descriptor tables; the TSS's ring-0 stack is the next entry's stack. */
void gdt_init_cpu(void);
void gdt_set_kernel_stack(uint64_t top);
void idt_init(void);
void idt_load(void);

/* vcpu_svm.c: SVM on where the CPU has it (per CPU, at start-up). */
void svm_init_cpu(void);
/* vmx.c: what VT-x this CPU has (per CPU, at start-up). */
void vmx_probe_cpu(void);
/* cpu.c: the system-call MSRs as the kernel wants them (at start-up; after a VT-x guest's). */
void x86_syscall_msrs(void);
/* pit.c: busy-waits for `us` microseconds (at most 50 ms) on PIT channel 2. */
void pit_wait_us(unsigned us);
/* The same in parts: set up a count of us (returns it in PIT ticks, 1193182 Hz), start it
 * (one port write), whether it is done, wait until it is. */
#define PIT_HZ 1193182u
uint32_t pit_arm_us(unsigned us);
void pit_go(uint32_t count);
bool pit_done(void);
void pit_finish(void);

/* ioapic.c: device lines. */
void ioapic_handle(unsigned vector);

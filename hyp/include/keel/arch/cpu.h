/* SPDX-License-Identifier: MIT */
/*
 * The architecture contract: CPU control. Declared here once, implemented by each
 * hyp/arch/<arch>/. Generic code reaches the hardware only through headers in keel/arch/.
 */
#pragma once
#include <stdnoreturn.h>
#include <stdbool.h>
#include <stdint.h>
#include <arch/cpu.h>

/* Stops this CPU for good (interrupts off, wait for interrupt in a loop). */
noreturn void arch_cpu_halt(void);

/* Name of the architecture as printed in logs ("arm64", "riscv64"). */
extern const char arch_name[];

struct boot_info;
struct percpu;

/* Boot CPU, before anything else that needs the MMU (atomics, caches): kernel translation on. */
void arch_cpu_early_init(const struct boot_info *bi);
/* Per-CPU registers (exception vectors, trap configuration), on every CPU as it comes up. */
void arch_cpu_init_local(void);
/* The running CPU's hardware id as the device tree writes it (MPIDR affinity, hart id). */
uint64_t arch_cpu_hwid(void);
/* Stops this CPU through the firmware (PSCI CPU_OFF, SBI HSM stop); it may be started again. */
noreturn void arch_cpu_stop(void);
/* Starts CPU `c` at the kernel's secondary entry with the given stack; returns 0 or -err. */
int arch_cpu_start(struct percpu *c, void *stack_top);

/* Sleeping instead of spinning for the big lock (bkl_wait), with interrupts masked:
 * arch_cpu_sleep_works() says whether this CPU can (else it spins); arch_cpu_sleep_prepare()
 * comes before the waiter publishes itself and looks at the lock a last time; arch_cpu_sleep()
 * then waits until the reschedule IPI (arch_irq_send_ipi) or the kernel timer: it takes the IPI
 * (need_resched) and leaves every other interrupt pending. It may return early. */
bool arch_cpu_sleep_works(void);
void arch_cpu_sleep_prepare(void);
void arch_cpu_sleep(void);

/* SPDX-License-Identifier: MIT */
/*
 * CPUs coming and going: the other CPUs are started at boot; Platform_control turns them off
 * (their threads move to CPU 0 first) and on again. The boot CPU stays on.
 */
#pragma once
#include <stdnoreturn.h>
#include <keel/boot_info.h>

struct percpu;

void percpu_setup(struct percpu *c, unsigned id);
/* Starts every CPU of the boot device tree besides this one. */
void smp_start_all(const struct boot_info *bi);
/* Platform_control CPU_ON / CPU_OFF: 0 or -KEEL_ERANGE (no such CPU, or the boot CPU) /
 * -KEEL_EBUSY (the firmware has not finished a previous change yet). */
int smp_cpu_on(unsigned cpu);
int smp_cpu_off(unsigned cpu);
/* The idle loop of a CPU that was turned off: leaves the kernel and stops. */
noreturn void smp_stop_this_cpu(void);
/* Each CPU's idle loop (the big lock held on entry). */
noreturn void kern_idle_loop(void);

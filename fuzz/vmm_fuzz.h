/* SPDX-License-Identifier: MIT */
/*
 * The VMM's surroundings for its fuzz targets (vmm_fakes.c): what the kernel and the vCPU threads
 * would be. The VM's own code is real, vm.c included (guest_mem_ptr(), the device map,
 * vm_report() and its budget); guest RAM is a fuzz_ram. Stand-ins: vcpu_self() is the vCPU the
 * input says is running, a kick is counted (and may run a hook: what the kicked vCPU does
 * before it resumes), vcpu_power_on() moves the power state as vcpu.c does, the timer runs at
 * FUZZ_TIMER_FREQ on host_cycles (sys_arch.h's clock, which the input advances), a device timer
 * (vm_timer.h) only keeps its deadline.
 */
#pragma once
#include "fuzz.h"
#include "vm.h"
#include "vcpu.h"

#define FUZZ_TIMER_FREQ 1000000000ull

extern uint64_t host_cycles;
extern struct vcpu *fuzz_self;
extern unsigned fuzz_kicks;
/* What a kicked vCPU does before it resumes, or NULL. */
extern void (*fuzz_kick_hook)(struct vcpu *v);
/* What vcpu_power_on() returns once it has moved an off vCPU to ON_PENDING (0 or -err). */
extern int64_t fuzz_power_on_result;

/* A VM of `vcpus` vCPUs (1 .. VM_MAX_VCPUS) with ids hwid[i] (MPIDR, hart id, APIC id), each with
 * its state in states[i], vCPU 0 on and the others off, RAM from ram; every device gone. */
void fuzz_vm_init(struct vm *vm, struct fuzz_ram *ram, unsigned vcpus, const uint64_t *hwid,
                  struct keel_vcpu_state *states);

/* SPDX-License-Identifier: MIT */
/*
 * The architecture contract: extended vCPU mode (running a guest CPU, see uapi/keel/vcpu.h).
 *
 * The run loop is generic (kern/vcpu_ext.c, vcpu_ext_resume): it checks for events for the VMM thread,
 * releases the big lock around the world switch, reschedules, and moves the state in and out of
 * the CPU. The architecture supplies the hooks below and struct vcpu_run (arch/vcpu_run.h): the
 * kernel's copy of the state area (the VMM may change the area at any time) and what one resume
 * keeps besides. In order:
 *
 *   begin ─> { [load] ─> prepare ─> enter (no lock) ─> exit } ... ─> [put] ─> end
 *                 └──── put, schedule() when the CPU is wanted ─────┘
 */
#pragma once
#include <stdint.h>
#include <keel/addr.h>
#include <arch/vcpu_run.h>

struct thread;
struct task;

/* exit hooks' answer: the kernel finished that exit itself, the guest goes on */
#define VCPU_GO_ON INT64_MIN

/* Size of the architecture's vCPU state area (it must fit in one page). */
extern const uint64_t arch_vcpu_state_size;
/* Size of the kernel-only part of a vCPU's state (allocated from the thread's quota; 0: none). */
extern const uint64_t arch_vcpu_private_size;

/* Takes from the state area (kernel address) what moves at every resume and the groups in dirty
 * (KEEL_VCPU_SYNC_*: those the VMM marked, all on a fresh binding), and checks what the hardware
 * must not run: 0, or -KEEL_EINVAL (a bad state), -KEEL_EPROTO (no hardware), -KEEL_ENOMEM. */
int64_t arch_vcpu_begin(struct vcpu_run *r, struct thread *self, struct task *vm, void *area,
                        uint64_t dirty);
/* The guest's state into this CPU: before the first entry and after each switch away. */
void arch_vcpu_load(struct vcpu_run *r);
/* Before each entry, with the big lock: 0, or an exit for the VMM (its timer is due, say). */
int64_t arch_vcpu_prepare(struct vcpu_run *r);
/* Runs the guest until it exits, without the big lock; returns the raw exit (the
 * architecture's own encoding, for arch_vcpu_exit). */
uint64_t arch_vcpu_enter(struct vcpu_run *r);
/* With the big lock again: finishes the exits the kernel takes itself (VCPU_GO_ON), or says
 * which exit the VMM gets (keel_vcpu_exit, or -KEEL_EINVAL for a state the hardware refused). */
int64_t arch_vcpu_exit(struct vcpu_run *r, uint64_t raw);
/* The guest's state out of this CPU, the host's back: before a switch away, and at the end. */
void arch_vcpu_put(struct vcpu_run *r);
/* The end of a resume that began: what moves at every exit, and the groups the area's
 * sync.want asks for, into the area (sync.valid says which groups are there). */
void arch_vcpu_end(struct vcpu_run *r, void *area);
/* Thread VCPU_SYNC, between resumes on the vCPU's own thread: every group into the area (the
 * caller leaves a group the VMM marked dirty alone: the area has its newer values). */
void arch_vcpu_sync(struct thread *t, void *area);

/* The thread's vCPU state goes away (its private part is then freed, or zeroed for a new
 * binding, by the caller). */
void arch_vcpu_release(struct thread *t);
/* Maps the interrupt controller's virtual CPU interface into VM task t at guest address gpa
 * (arm64 with GICv2: the GICV frames, which the guest uses as its GICC). 0, -KEEL_EINVAL for a
 * bad address, -KEEL_EPROTO where there is nothing to map (GICv3: system registers). */
int64_t arch_task_map_virt_cpuif(struct task *t, gpa_t gpa);

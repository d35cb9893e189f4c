/* SPDX-License-Identifier: MIT */
/* Running a vCPU: resume, handle the exit (arch/<arch>/exit.c), repeat. */
#pragma once
#include "vm.h"
#include <uapi/keel/vcpu.h>

/* Handles one trap exit; 0 to resume the guest, -1 to stop the VM. */
int vcpu_handle_exit(struct vm *vm, struct keel_vcpu_state *s);
/* The state of a CPU at reset, starting at entry with the device tree at dtb (0: none). */
void vcpu_reset(struct keel_vcpu_state *s, uint64_t entry, uint64_t dtb);
/* Runs the calling thread as the VM's vCPU until the guest powers off or must be stopped. */
int vcpu_loop_run(struct vm *vm, struct keel_vcpu_state *s);

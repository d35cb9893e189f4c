/* SPDX-License-Identifier: MIT */
/*
 * The SBI for VS-mode guests (sbi.c): an ecall from VS-mode exits to the VMM, which answers it
 * from a table of extensions (base, legacy console, TIME, IPI, RFENCE, HSM, SRST, DBCN). The
 * kernel answers one call itself (KEEL_SBI_EXT_NULL, uapi/keel/vcpu.h).
 */
#pragma once
#include "../../vm.h"

/* Answers the guest's SBI call in v's state (a7 extension, a6 function, a0.. arguments; a0
 * error, a1 value) and steps past the ecall. Returns 0, or -1 to stop the VM. */
int sbi_call(struct vcpu *v, struct keel_vcpu_state *s);
/* The vCPU whose hart id (its DT cpu reg) is hartid, or NULL. */
struct vcpu *sbi_vcpu_by_hartid(struct vm *vm, uint64_t hartid);
/* Takes what other vCPUs asked of v (IPIs, fences) into its state; before each resume. */
void sbi_take_requests(struct vcpu *v, struct keel_vcpu_state *s);

/* SPDX-License-Identifier: MIT */
/* Address kinds: the kernel uses the header it shares with user level (uapi/keel/addr.h). */
#pragma once
#include <uapi/keel/addr.h>

/* A VM task's address space is indexed by guest-physical address (its table is stage 2, the
 * G-stage, the nested page table): where the memspace of a VM keeps gpa. */
static inline vaddr_t vm_va(gpa_t a) { return (vaddr_t){ a.v }; }

/* SPDX-License-Identifier: MIT */
/*
 * The one thing the vCPU library asks of the program that uses it: a way into guest memory. Every
 * guest-physical range the library reads (a guest's page tables, the instruction behind an exit)
 * goes through guest_mem_ptr(), which the VMM provides (vmm/vm.c; host tests their own): a
 * pointer to `size` bytes of guest RAM at gpa, or NULL when they are not all RAM, so that a guest
 * cannot make the library read the VMM's own memory. struct vm is the VMM's; the library only
 * passes it on.
 */
#pragma once
#include <stdint.h>
#include <uapi/keel/addr.h>

struct vm;

void *guest_mem_ptr(struct vm *vm, gpa_t gpa, uint64_t size);
/* The same for an instruction fetch (x86 insn_fetch): guest RAM, or memory the guest runs from
 * read-only (firmware in a flash bank); NULL otherwise. Never written through. */
const void *guest_code_ptr(struct vm *vm, gpa_t gpa, uint64_t size);

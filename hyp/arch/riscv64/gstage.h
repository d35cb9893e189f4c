/* SPDX-License-Identifier: MIT */
/*
 * G-stage (guest-physical) tables of VM tasks on riscv64 (gstage.c): Sv48x4 where the harts
 * have it, else Sv39x4; either root is 16 KiB and 16 KiB-aligned. The kernel pool hands out single pages, so the roots come from a
 * fixed pool; a root's slot also gives the VM its VMID.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct quota;
struct arch_pt;

#define GSTAGE_ROOTS 16
#define GSTAGE_ROOT_ENTRIES 2048

/* Takes a zeroed root for pt (charged to q: 16 KiB). Returns 0 or -KEEL_ENOMEM. */
int gstage_root_alloc(struct arch_pt *pt, struct quota *q);
/* Returns pt's root to the pool; no CPU may run its guest any more. */
void gstage_root_free(struct arch_pt *pt, struct quota *q);
/* The hgatp value that runs a guest on pt. */
uint64_t gstage_hgatp(const struct arch_pt *pt);
/* Loads pt into hgatp on this hart for a guest to run (vsatp is zeroed first: the caller loads
 * the guest's after), fencing what an earlier VM with the same VMID may have left here. */
void gstage_load(const struct arch_pt *pt);
/* This hart goes idle: it fences away whatever guest translations it may hold, and so needs no
 * remote fence until it runs a guest again (pt.c, when it loads the boot table). */
void gstage_forget(void);
/* Invalidates the G-stage translations of pt on this hart, one page at gpa (a new mapping). */
void gstage_fence_local(const struct arch_pt *pt, uint64_t gpa);
/* Invalidates the G-stage translations of pt on every hart that may hold them: one page at gpa,
 * or all. */
void gstage_flush(const struct arch_pt *pt, uint64_t gpa, bool all);
/* Sets the VMID width found at boot (hext.c); with too few bits all VMs share VMID 0. */
void gstage_set_vmid_bits(unsigned bits);
/* Whether every hart takes Sv48x4 in hgatp (hext.c, at boot); VM tasks made after use it. */
void gstage_set_sv48x4(bool on);
bool gstage_sv48x4(void);
/* Whether VMs share one VMID: every switch of hgatp to another VM needs a full fence. */
bool gstage_vmid_shared(void);

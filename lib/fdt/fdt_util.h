/* SPDX-License-Identifier: MIT */
/* Small typed readers over libfdt, shared by the kernel, the root task and the VMM. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

/*
 * Whether a blob of at most size bytes (UINT64_MAX: as its header says) is one to hand to libfdt:
 * 0, or a negative FDT_ERR_* code. Beyond fdt_check_header(): all of it within size; its memory
 * reservation and structure blocks aligned as the Devicetree Specification (5.1) asks, to 8 and
 * 4 bytes (libfdt reads their entries and tags as aligned words); version 17; and a structure
 * block of whole tags, every property's value inside it (libfdt does not check that a property's
 * length cannot wrap its offset around). Every reader of a tree Keel is given calls this first.
 */
int fdt_util_check(const void *fdt, uint64_t size);

/* Reads the index-th (address, size) pair of node's "reg", translated by the parent's cell sizes.
 * Returns false when the property is missing, too short or uses more than two cells per number.
 * size may be NULL. */
bool fdt_util_reg(const void *fdt, int node, int index, uint64_t *addr, uint64_t *size);

/* Reads a 1- or 2-cell unsigned property; false when missing or of another length. */
bool fdt_util_u64(const void *fdt, int node, const char *name, uint64_t *out);

/* SPDX-License-Identifier: MIT */
/* Small typed readers over libfdt, shared by the kernel, the root task and the VMM. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

/* Reads the index-th (address, size) pair of node's "reg", translated by the parent's cell sizes.
 * Returns false when the property is missing, too short or uses more than two cells per number.
 * size may be NULL. */
bool fdt_util_reg(const void *fdt, int node, int index, uint64_t *addr, uint64_t *size);

/* Reads a 1- or 2-cell unsigned property; false when missing or of another length. */
bool fdt_util_u64(const void *fdt, int node, const char *name, uint64_t *out);

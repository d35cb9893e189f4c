/* SPDX-License-Identifier: MIT */
/* Reading the boot modules: a cpio archive (newc format, what `cpio -H newc` writes). Used by the
 * kernel (the root task's image) and by the root task (everything else). */
#pragma once
#include <stdint.h>
#include <stddef.h>

/* Finds `name` (with or without a leading "./") in the archive [start, end); returns its data
 * and size, or NULL. Stops safely at a malformed header. */
const void *cpio_find(const void *start, const void *end, const char *name, uint64_t *size);

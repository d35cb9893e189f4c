/* SPDX-License-Identifier: MIT */
/*
 * The system device tree (system.dtb) for a program given keel,boot-modules (a driver reads its
 * links' properties there: keel,blk-slice, keel,mac).
 */
#pragma once
#include <keel/progenv.h>

/* system.dtb among the boot modules, copied to 8-byte alignment (libfdt's need; the cpio aligns
 * files to 4 bytes only), its header checked. NULL without boot modules, without the file, or
 * for a tree larger than 64 KiB. */
const void *keel_system_tree(const struct keel_progenv *env);

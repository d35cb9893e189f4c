// SPDX-License-Identifier: MIT
/*
 * arm64 stage-2 descriptors, 4 KiB granule (Arm ARM D8.3): a table or page has bits [1:0] = 3,
 * a block (level 1: 2 MiB, level 2: 1 GiB in the walker's numbering) bits [1:0] = 1.
 */
#include "pt_format.h"

const struct pt_format arm64_stage2_format = ARM64_STAGE2_FORMAT;

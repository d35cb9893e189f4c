// SPDX-License-Identifier: MIT
/*
 * RISC-V Sv39/Sv48 entries (privileged spec, "Sv39"): a valid entry with none of R, W, X points
 * to the next table; any of them makes it a leaf, at any level (megapages, gigapages). Leaves
 * have U set: tasks run in U-mode, and G-stage leaves must have it. A and D are set up front
 * (no hardware updating them). W without R is reserved: W brings R. Memory types come from the
 * platform's PMAs, so `device` is not encoded (and reads back false).
 */
#include "pt_format.h"

const struct pt_format riscv_sv_format = RISCV_SV_FORMAT;

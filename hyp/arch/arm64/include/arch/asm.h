/* SPDX-License-Identifier: MIT */
/* Constants shared by assembly and C (arm64). */
#pragma once
#define ARCH_REGS_SIZE (34 * 8)

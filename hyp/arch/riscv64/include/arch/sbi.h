/* SPDX-License-Identifier: MIT */
/* The SBI calls Keel makes (riscv64). */
#pragma once

#include <hw/sbi.h>

struct sbiret {
    long error;
    long value;
};

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2);

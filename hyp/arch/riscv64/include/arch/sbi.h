/* SPDX-License-Identifier: MIT */
/* The SBI calls Keel makes (riscv64). */
#pragma once

#define SBI_EXT_TIME 0x54494d45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464e43
#define SBI_EXT_HSM 0x48534d
#define SBI_EXT_SRST 0x53525354
#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_COLD_REBOOT 1

struct sbiret {
    long error;
    long value;
};

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2);

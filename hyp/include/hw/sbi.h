/* SPDX-License-Identifier: MIT */
/*
 * RISC-V SBI (Supervisor Binary Interface, v2.0): extension IDs and error codes. The kernel calls
 * the firmware's (OpenSBI); a VMM answers its guests'.
 */
#pragma once

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_GETCHAR 0x02
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494d45   /* "TIME" */
#define SBI_EXT_IPI 0x735049      /* "sPI" */
#define SBI_EXT_RFENCE 0x52464e43 /* "RFNC" */
#define SBI_EXT_HSM 0x48534d      /* "HSM" */
#define SBI_EXT_SRST 0x53525354   /* "SRST" */
#define SBI_EXT_DBCN 0x4442434e   /* "DBCN" */

#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_COLD_REBOOT 1

#define SBI_HSM_STARTED 0
#define SBI_HSM_STOPPED 1
#define SBI_HSM_START_PENDING 2

#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_DENIED (-4)
#define SBI_ERR_INVALID_ADDRESS (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)

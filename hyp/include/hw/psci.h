/* SPDX-License-Identifier: MIT */
/*
 * PSCI (Arm DEN 0022, Power State Coordination Interface): function IDs (SMC32/SMC64 calling
 * convention) and return codes. The kernel calls the firmware's; a VMM answers its guests'.
 * The functions that take addresses or MPIDRs exist in both conventions: the SMC64 ID is the
 * SMC32 one with bit 30 set (PSCI_SMC64); the names without a suffix are the ones Keel calls.
 */
#pragma once

#define PSCI_SMC64 0x40000000u /* (SMCCC, DEN 0028: bit 30 of a function ID) */

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND 0xc4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_MIGRATE 0xc4000005u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_MIGRATE_INFO_UP_CPU 0xc4000007u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define PSCI_CPU_SUSPEND32 (PSCI_CPU_SUSPEND & ~PSCI_SMC64)
#define PSCI_CPU_ON32 (PSCI_CPU_ON & ~PSCI_SMC64)
#define PSCI_AFFINITY_INFO32 (PSCI_AFFINITY_INFO & ~PSCI_SMC64)
#define PSCI_MIGRATE32 (PSCI_MIGRATE & ~PSCI_SMC64)
#define PSCI_MIGRATE_INFO_UP_CPU32 (PSCI_MIGRATE_INFO_UP_CPU & ~PSCI_SMC64)

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define PSCI_INTERNAL_FAILURE (-6)
#define PSCI_NOT_PRESENT (-7)
#define PSCI_DISABLED (-8)
#define PSCI_INVALID_ADDRESS (-9) /* CPU_ON: the entry point is known to be invalid */

/* AFFINITY_INFO's answers (PSCI 1.0, 5.7). */
#define PSCI_AFFINITY_ON 0
#define PSCI_AFFINITY_OFF 1
#define PSCI_AFFINITY_ON_PENDING 2

/* MIGRATE_INFO_TYPE's answer when no Trusted OS needs migrating. */
#define PSCI_TOS_NOT_PRESENT_MP 2

/* CPU_SUSPEND's power_state, original format (5.4): StateID [15:0], StateType [16] (1:
 * power down), PowerLevel [25:24]; the other bits are reserved, zero. */
#define PSCI_POWER_STATE_POWERDOWN (1u << 16)
#define PSCI_POWER_STATE_RESERVED 0xfcfe0000u

/* SMCCC (Arm DEN 0028) Arm architecture calls: the calling convention's version and the
 * discovery of its optional functions (firmware workarounds of CPU errata). */
#define SMCCC_VERSION 0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u
#define SMCCC_ARCH_WORKAROUND_1 0x80008000u
#define SMCCC_ARCH_WORKAROUND_2 0x80007fffu
#define SMCCC_ARCH_WORKAROUND_3 0x80003fffu
#define SMCCC_VERSION_1_1 0x10001
#define SMCCC_NOT_SUPPORTED (-1)

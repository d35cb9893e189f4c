/* SPDX-License-Identifier: MIT */
/*
 * PSCI (Arm DEN 0022, Power State Coordination Interface): function IDs (SMC32/SMC64 calling
 * convention) and return codes. The kernel calls the firmware's; a VMM answers its guests'.
 */
#pragma once

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND 0xc4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au

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

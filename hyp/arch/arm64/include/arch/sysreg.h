/* SPDX-License-Identifier: MIT */
/* System register access and barriers (arm64). */
#pragma once
#include <stdint.h>

#define sysreg_read(name)                                                                  \
    ({                                                                                     \
        uint64_t v_;                                                                       \
        __asm__ volatile("mrs %0, " #name : "=r"(v_));                                     \
        v_;                                                                                \
    })
#define sysreg_write(name, v) __asm__ volatile("msr " #name ", %0" : : "r"((uint64_t)(v)) : "memory")

#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define dmb(opt) __asm__ volatile("dmb " #opt ::: "memory")

/* HCR_EL2 bits Keel uses. */
#define HCR_VM (1ull << 0)
#define HCR_SWIO (1ull << 1)
#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_AMO (1ull << 5)
#define HCR_DC (1ull << 12)
#define HCR_TWI (1ull << 13)
#define HCR_TWE (1ull << 14)
#define HCR_TSC (1ull << 19)
#define HCR_TSW (1ull << 22)
#define HCR_TTLB (1ull << 25)
#define HCR_TVM (1ull << 26)
#define HCR_TGE (1ull << 27)
#define HCR_RW (1ull << 31)

/* Ordinary tasks: EL0 with stage 1 off (DC: cacheable), the task's page table as stage 2, every
 * exception to EL2 (TGE). Extended vCPUs use their own value. */
#define HCR_TASK (HCR_RW | HCR_TGE | HCR_DC | HCR_VM | HCR_TSW | HCR_TTLB | HCR_TVM)

/* ESR_EL2 exception classes Keel dispatches on: the shared encodings. */
#include <hw/arm64_esr.h>

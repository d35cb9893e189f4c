/* SPDX-License-Identifier: MIT */
/* Control and status registers (riscv64, S/HS-mode). */
#pragma once
#include <stdint.h>

#define csr_read(csr)                                                                      \
    ({                                                                                     \
        uint64_t v_;                                                                       \
        __asm__ volatile("csrr %0, " #csr : "=r"(v_));                                     \
        v_;                                                                                \
    })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")

#define SSTATUS_SIE (1ull << 1)
#define SSTATUS_SPIE (1ull << 5)
#define SSTATUS_SPP (1ull << 8)
#define SSTATUS_SUM (1ull << 18)
#define SSTATUS_FS (3ull << 13)
#define SSTATUS_FS_CLEAN (2ull << 13)
#define SSTATUS_FS_DIRTY (3ull << 13)

#define SIE_SSIE (1ull << 1)
#define SIE_STIE (1ull << 5)
#define SIE_SEIE (1ull << 9)

#include <hw/riscv_trap.h> /* scause: interrupts and exception codes */

/* The H extension (hext.c, vcpu_hext.c). */
#define HSTATUS_SPV (1ull << 7)   /* sret goes to V=1 */
#define HSTATUS_SPVP (1ull << 8)
#define HSTATUS_VTW (1ull << 21)  /* WFI in VS-mode: a virtual-instruction exception */
#define HSTATUS_VSXL_64 (2ull << 32)
#define HENVCFG_STCE (1ull << 63) /* Sstc: vstimecmp for VS-mode */
#define HIP_VS (SIE_SSIE << 1 | SIE_STIE << 1 | SIE_SEIE << 1) /* VSSIP, VSTIP, VSEIP */

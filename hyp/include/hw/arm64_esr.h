/* SPDX-License-Identifier: MIT */
/*
 * Arm exception syndromes (Arm ARM D19.2, ESR_ELx): the exception classes the kernel and the VMMs
 * decode. Hardware encodings only, shared by hyp/ and user level (a VMM decodes its guests' exits
 * with the same names the kernel uses).
 */
#pragma once

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr) & 0x1ffffff)

#define EC_UNKNOWN 0x00
#define EC_WFX 0x01      /* WFI, WFE */
#define EC_FP_ASIMD 0x07 /* FP/SIMD access trapped (CPTR_EL2.TFP) */
#define EC_SVC64 0x15
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYS64 0x18    /* MSR, MRS, system instructions */
#define EC_IABT_LOW 0x20 /* instruction abort from a lower level (stage 2 for a guest) */
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24 /* data abort from a lower level (stage 2 for a guest) */
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_SERROR 0x2f /* SError (asynchronous external abort) */
#define EC_BRK64 0x3c

/* SPDX-License-Identifier: MIT */
/*
 * Intel VT-x (VMX) encodings used by the kernel (Intel SDM Vol. 3C, appendix A: the capability
 * MSRs; chapter 24: controls). One place for what hyp/ and user level both need.
 */
#pragma once

/* IA32_FEATURE_CONTROL: firmware locks it; VMX outside SMX must be on. */
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define FEATURE_CONTROL_LOCK (1u << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1u << 2)

/* Capability MSRs (appendix A). */
#define MSR_IA32_VMX_BASIC 0x480          /* revision id 30:0, region size 44:32, type 53:50 */
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482 /* allowed 0s low, allowed 1s high */
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c

#define CPUID1_ECX_VMX (1u << 5)
#define VMX_PROC_SECONDARY (1u << 31) /* primary processor-based: activate secondary */
#define VMX_PROC2_EPT (1u << 1)       /* secondary processor-based controls */
#define VMX_PROC2_VPID (1u << 5)
#define VMX_PROC2_UNRESTRICTED (1u << 7)
#define VMX_EPT_CAP_WALK4 (1ull << 6) /* IA32_VMX_EPT_VPID_CAP */
#define VMX_EPT_CAP_WB (1ull << 14)
#define VMX_EPT_CAP_2M (1ull << 16)
#define VMX_EPT_CAP_1G (1ull << 17)
#define VMX_EPT_CAP_INVEPT (1ull << 20)
#define VMX_CAP_INVVPID (1ull << 32)

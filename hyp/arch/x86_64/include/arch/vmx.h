/* SPDX-License-Identifier: MIT */
/*
 * Intel VT-x: VMCS field encodings, control bits and exit reasons the kernel uses (Intel SDM
 * vol. 3C, chapters 24-27 and appendices A-C), and the VMX instructions. Only hyp/arch/x86_64
 * includes this; the capability MSRs are in hw/vmx.h.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <hw/vmx.h>

#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_IA32_PAT 0x277
#define VMX_BASIC_INSN_INFO_IO (1ull << 54) /* the instruction information of INS/OUTS exits */
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define VMX_MISC_INJECT_LEN0 (1ull << 30) /* software events injected with length 0 */

/* VMCS fields: 16-bit */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_SEL(i) (0x0800 + 2 * (i)) /* i: ES CS SS DS FS GS LDTR TR, 0-7 */
#define VMCS_HOST_ES_SEL 0x0c00
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c
/* 64-bit */
#define VMCS_VAPIC_PAGE 0x2012
#define VMCS_EPTP 0x201a
#define VMCS_GUEST_PHYS_ADDR 0x2400
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_GUEST_PDPTE(i) (0x280a + 2 * (i))
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02
/* 32-bit */
#define VMCS_PIN_CTLS 0x4000
#define VMCS_PROC_CTLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CTLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CTLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_ERROR_CODE 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_TPR_THRESHOLD 0x401c
#define VMCS_PROC2_CTLS 0x401e
#define VMCS_INSN_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_EXIT_INSN_INFO 0x440e
#define VMCS_GUEST_LIMIT(i) (0x4800 + 2 * (i))
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_AR(i) (0x4814 + 2 * (i))
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_PREEMPTION_TIMER 0x482e
#define VMCS_HOST_SYSENTER_CS 0x4c00
/* natural width */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_BASE(i) (0x6806 + 2 * (i))
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

enum {
    VMX_SEG_ES,
    VMX_SEG_CS,
    VMX_SEG_SS,
    VMX_SEG_DS,
    VMX_SEG_FS,
    VMX_SEG_GS,
    VMX_SEG_LDTR,
    VMX_SEG_TR
};
#define VMX_AR_UNUSABLE (1u << 16)

/* Pin-based controls */
#define VMX_PIN_EXT_INTR (1u << 0)
#define VMX_PIN_NMI (1u << 3)
#define VMX_PIN_VIRTUAL_NMI (1u << 5)
#define VMX_PIN_PREEMPTION_TIMER (1u << 6)
/* Primary processor-based controls (VMX_PROC_SECONDARY in hw/vmx.h) */
#define VMX_PROC_INTR_WINDOW (1u << 2)
#define VMX_PROC_HLT (1u << 7)
#define VMX_PROC_INVLPG (1u << 9)
#define VMX_PROC_MWAIT (1u << 10)
#define VMX_PROC_RDPMC (1u << 11)
#define VMX_PROC_RDTSC (1u << 12)
#define VMX_PROC_CR3_LOAD (1u << 15)
#define VMX_PROC_CR3_STORE (1u << 16)
#define VMX_PROC_CR8_LOAD (1u << 19)
#define VMX_PROC_CR8_STORE (1u << 20)
#define VMX_PROC_TPR_SHADOW (1u << 21)
#define VMX_PROC_MOV_DR (1u << 23)
#define VMX_PROC_IO (1u << 24)
#define VMX_PROC_MSR_BITMAP (1u << 28)
#define VMX_PROC_MONITOR (1u << 29)
/* Secondary (beside EPT, VPID and unrestricted guest in hw/vmx.h) */
#define VMX_PROC2_RDTSCP (1u << 3)
#define VMX_PROC2_WBINVD (1u << 6)
#define VMX_PROC2_INVPCID (1u << 12)
/* Exit and entry controls */
#define VMX_EXIT_SAVE_DEBUG (1u << 2)
#define VMX_EXIT_HOST_64 (1u << 9)
#define VMX_EXIT_ACK_INTR (1u << 15)
#define VMX_EXIT_SAVE_PAT (1u << 18)
#define VMX_EXIT_LOAD_PAT (1u << 19)
#define VMX_EXIT_SAVE_EFER (1u << 20)
#define VMX_EXIT_LOAD_EFER (1u << 21)
#define VMX_ENTRY_LOAD_DEBUG (1u << 2)
#define VMX_ENTRY_IA32E (1u << 9)
#define VMX_ENTRY_LOAD_PAT (1u << 14)
#define VMX_ENTRY_LOAD_EFER (1u << 15)

/* EPT and VPID capabilities (IA32_VMX_EPT_VPID_CAP, beside those in hw/vmx.h) */
#define VMX_EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define VMX_EPT_CAP_INVEPT_ALL (1ull << 26)
#define VMX_VPID_CAP_SINGLE (1ull << 41)
#define VMX_VPID_CAP_ALL (1ull << 42)

/* Basic exit reasons (appendix C) */
#define VMX_EXIT_EXCEPTION_NMI 0
#define VMX_EXIT_EXT_INTR 1
#define VMX_EXIT_TRIPLE_FAULT 2
#define VMX_EXIT_INIT 3
#define VMX_EXIT_SIPI 4
#define VMX_EXIT_IO_SMI 5
#define VMX_EXIT_OTHER_SMI 6
#define VMX_EXIT_INTR_WINDOW 7
#define VMX_EXIT_TASK_SWITCH 9
#define VMX_EXIT_CPUID 10
#define VMX_EXIT_GETSEC 11
#define VMX_EXIT_HLT 12
#define VMX_EXIT_INVD 13
#define VMX_EXIT_RDPMC 15
#define VMX_EXIT_VMCALL 18
#define VMX_EXIT_VMCLEAR 19 /* 19-27: VMCLEAR ... VMXON */
#define VMX_EXIT_VMXON 27
#define VMX_EXIT_CR_ACCESS 28
#define VMX_EXIT_DR_ACCESS 29
#define VMX_EXIT_IO 30
#define VMX_EXIT_RDMSR 31
#define VMX_EXIT_WRMSR 32
#define VMX_EXIT_INVALID_STATE 33
#define VMX_EXIT_MSR_LOADING 34
#define VMX_EXIT_MWAIT 36
#define VMX_EXIT_MONITOR 39
#define VMX_EXIT_MACHINE_CHECK 41
#define VMX_EXIT_EPT_VIOLATION 48
#define VMX_EXIT_EPT_MISCONFIG 49
#define VMX_EXIT_INVEPT 50
#define VMX_EXIT_INVVPID 53
#define VMX_EXIT_WBINVD 54
#define VMX_EXIT_XSETBV 55
#define VMX_EXIT_PREEMPTION_TIMER 52
#define VMX_EXIT_VMFUNC 59
#define VMX_EXIT_ENTRY_FAILED (1u << 31)

/* Interruption information (entry, exit, IDT vectoring): vector 7:0, type 10:8, error code 11,
 * NMI unblocking by IRET 12 (exit only), valid 31. */
#define VMX_INTR_VALID (1u << 31)
#define VMX_INTR_ERROR (1u << 11)
#define VMX_INTR_TYPE(info) (((info) >> 8) & 7)
#define VMX_INTR_EXT 0
#define VMX_INTR_NMI 2
#define VMX_INTR_HW_EXCEPTION 3
#define VMX_INTR_SOFT_INT 4
#define VMX_INTR_PRIV_SOFT_EXCEPTION 5
#define VMX_INTR_SOFT_EXCEPTION 6

/* The instructions. vmread/vmwrite of fields the kernel names: they cannot fail on a current VMCS. */
static inline uint64_t vmread(uint64_t field)
{
    uint64_t v = 0; /* (what a failed VMREAD, which writes nothing, gives: never stack contents) */
    __asm__ volatile("vmread %1, %0" : "+rm"(v) : "r"(field) : "cc");
    return v;
}

static inline void vmwrite(uint64_t field, uint64_t v)
{
    __asm__ volatile("vmwrite %1, %0" : : "r"(field), "rm"(v) : "cc", "memory");
}

/* VMXON, VMPTRLD, VMCLEAR of a region's physical address: false when the CPU refused it (CF
 * or ZF set). */
#define VMX_PA_INSN(name, insn)                                                                    \
    static inline bool name(uint64_t pa)                                                           \
    {                                                                                              \
        bool failed;                                                                               \
        __asm__ volatile(insn " %1\n setbe %0" : "=qm"(failed) : "m"(pa) : "cc", "memory");        \
        return !failed;                                                                            \
    }
VMX_PA_INSN(vmxon, "vmxon")
VMX_PA_INSN(vmptrld, "vmptrld")
VMX_PA_INSN(vmclear, "vmclear")

static inline void vmxoff(void)
{
    __asm__ volatile("vmxoff" ::: "cc", "memory");
}

/* INVEPT / INVVPID of a type with a 128-bit descriptor. */
static inline void invept(uint64_t type, uint64_t eptp)
{
    struct {
        uint64_t eptp, zero;
    } d = { eptp, 0 };
    __asm__ volatile("invept %0, %1" : : "m"(d), "r"(type) : "cc", "memory");
}

static inline void invvpid(uint64_t type, uint16_t vpid)
{
    struct {
        uint64_t vpid, addr;
    } d = { vpid, 0 };
    __asm__ volatile("invvpid %0, %1" : : "m"(d), "r"(type) : "cc", "memory");
}

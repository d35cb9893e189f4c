/* SPDX-License-Identifier: MIT */
/*
 * AMD SVM: the VMCB (virtual machine control block) layout, intercept bits and exit codes the
 * kernel uses (AMD64 APM vol. 2, §15 and appendix B/C). Only hyp/arch/x86_64 includes this.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define MSR_VM_CR 0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117
#define VM_CR_SVMDIS (1u << 4)
#define EFER_SVME (1u << 12)

struct vmcb_segment {
    uint16_t selector;
    uint16_t attr;
    uint32_t limit;
    uint64_t base;
};

struct vmcb {
    /* Control area (0x000 - 0x3ff). */
    uint16_t intercept_cr_read, intercept_cr_write;
    uint16_t intercept_dr_read, intercept_dr_write;
    uint32_t intercept_exceptions;
    uint32_t intercept_misc1, intercept_misc2, intercept_misc3;
    uint8_t reserved_018[0x03c - 0x018];
    uint16_t pause_filter_threshold, pause_filter_count;
    uint64_t iopm_base_pa, msrpm_base_pa, tsc_offset;
    uint32_t asid;
    uint8_t tlb_control;
    uint8_t reserved_05d[3];
    uint64_t vintr;            /* V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING ... */
    uint64_t interrupt_shadow;
    uint64_t exit_code, exit_info1, exit_info2, exit_int_info;
    uint64_t np_enable;
    uint64_t avic_apic_bar, ghcb_pa;
    uint64_t event_inject;
    uint64_t ncr3;
    uint64_t virt_ext;
    uint32_t clean;
    uint32_t reserved_0c4;
    uint64_t next_rip;
    uint8_t insn_len;
    uint8_t insn_bytes[15];
    uint8_t reserved_0e0[0x400 - 0x0e0];
    /* State save area (0x400 - ). */
    struct vmcb_segment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    uint8_t reserved_4a0[0x4cb - 0x4a0];
    uint8_t cpl;
    uint32_t reserved_4cc;
    uint64_t efer;
    uint8_t reserved_4d8[0x548 - 0x4d8];
    uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
    uint8_t reserved_580[0x5d8 - 0x580];
    uint64_t rsp, s_cet, ssp, isst_addr, rax;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip, cr2;
    uint8_t reserved_648[0x668 - 0x648];
    uint64_t g_pat, dbgctl;
    uint8_t reserved_678[0x1000 - 0x678];
};

_Static_assert(offsetof(struct vmcb, iopm_base_pa) == 0x040, "APM vol. 2 table B-1");
_Static_assert(offsetof(struct vmcb, asid) == 0x058, "APM vol. 2 table B-1");
_Static_assert(offsetof(struct vmcb, exit_code) == 0x070, "APM vol. 2 table B-1");
_Static_assert(offsetof(struct vmcb, event_inject) == 0x0a8, "APM vol. 2 table B-1");
_Static_assert(offsetof(struct vmcb, clean) == 0x0c0, "APM vol. 2 table B-1");
_Static_assert(offsetof(struct vmcb, es) == 0x400, "APM vol. 2 table B-2");
_Static_assert(offsetof(struct vmcb, cpl) == 0x4cb, "APM vol. 2 table B-2");
_Static_assert(offsetof(struct vmcb, efer) == 0x4d0, "APM vol. 2 table B-2");
_Static_assert(offsetof(struct vmcb, cr4) == 0x548, "APM vol. 2 table B-2");
_Static_assert(offsetof(struct vmcb, rip) == 0x578, "APM vol. 2 table B-2");
_Static_assert(offsetof(struct vmcb, rsp) == 0x5d8, "APM vol. 2 table B-2");
_Static_assert(offsetof(struct vmcb, rax) == 0x5f8, "APM vol. 2 table B-2");
_Static_assert(offsetof(struct vmcb, cr2) == 0x640, "APM vol. 2 table B-2");
_Static_assert(offsetof(struct vmcb, g_pat) == 0x668, "APM vol. 2 table B-2");
_Static_assert(sizeof(struct vmcb) == 4096, "one page");

/* intercept_misc1 */
#define SVM_INTERCEPT_INTR (1u << 0)
#define SVM_INTERCEPT_NMI (1u << 1)
#define SVM_INTERCEPT_SMI (1u << 2)
#define SVM_INTERCEPT_INIT (1u << 3)
#define SVM_INTERCEPT_VINTR (1u << 4)
#define SVM_INTERCEPT_RDPMC (1u << 15)
#define SVM_INTERCEPT_CPUID (1u << 18)
#define SVM_INTERCEPT_INVD (1u << 22)
#define SVM_INTERCEPT_HLT (1u << 24)
#define SVM_INTERCEPT_INVLPGA (1u << 26)
#define SVM_INTERCEPT_IOIO (1u << 27)
#define SVM_INTERCEPT_MSR (1u << 28)
#define SVM_INTERCEPT_TASK_SWITCH (1u << 29)
#define SVM_INTERCEPT_FERR_FREEZE (1u << 30)
#define SVM_INTERCEPT_SHUTDOWN (1u << 31)
/* intercept_misc2 */
#define SVM_INTERCEPT_VMRUN (1u << 0)
#define SVM_INTERCEPT_VMMCALL (1u << 1)
#define SVM_INTERCEPT_VMLOAD (1u << 2)
#define SVM_INTERCEPT_VMSAVE (1u << 3)
#define SVM_INTERCEPT_STGI (1u << 4)
#define SVM_INTERCEPT_CLGI (1u << 5)
#define SVM_INTERCEPT_SKINIT (1u << 6)
#define SVM_INTERCEPT_RDTSCP (1u << 7)
#define SVM_INTERCEPT_ICEBP (1u << 8)
#define SVM_INTERCEPT_WBINVD (1u << 9)
#define SVM_INTERCEPT_MONITOR (1u << 10)
#define SVM_INTERCEPT_MWAIT (1u << 11)
#define SVM_INTERCEPT_MWAIT_COND (1u << 12)
#define SVM_INTERCEPT_XSETBV (1u << 13)
#define SVM_INTERCEPT_RDPRU (1u << 14)

/* vintr */
#define SVM_VINTR_V_IRQ (1ull << 8)
#define SVM_VINTR_V_IGN_TPR (1ull << 20)
#define SVM_VINTR_MASKING (1ull << 24)

#define SVM_TLB_FLUSH_ALL 1
#define SVM_NP_ENABLE 1ull

#include <hw/svm.h> /* exit codes */
/* VMRUN refused the state (VMEXIT_INVALID, -1; -2 and below are SEV's). QEMU 7.2 stores it as a
 * 32-bit -1, zero-extended: only the low half is compared. */
static inline int svm_exit_refused(uint64_t code)
{
    return (int32_t)(uint32_t)code < 0;
}

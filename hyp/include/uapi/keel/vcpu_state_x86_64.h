/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 vCPU state area (extended vCPU mode, see uapi/keel/vcpu.h). Back end: AMD SVM
 * (KEEL_VCPU_X86_SVM in features); a VT-x back end will fill the same area. The kernel copies the
 * area on resume, checks it, runs the guest, and writes it back on every exit to the VMM.
 *
 * Segments use SVM's packed attribute format (bits 0-7: type, S, DPL, P; bits 8-11: AVL, L, D/B,
 * G). Exits to the VMM (KEEL_VCPU_EXIT_TRAP) carry the SVM exit code and its two information
 * words as the hardware gives them (AMD64 APM vol. 2, §15 and appendix C).
 */
#pragma once
#include <stdint.h>

struct keel_x86_segment {
    uint16_t selector;
    uint16_t attr;
    uint32_t limit;
    uint64_t base;
};

struct keel_vcpu_state {
    /* General registers by their encoding: rax 0, rcx 1, rdx 2, rbx 3, rsp 4, rbp 5, rsi 6, rdi 7,
     * r8..r15 8..15. */
    uint64_t gpr[16];
    uint64_t rip, rflags;
    /* Control state. EFER.SVME is the kernel's (it reads back clear); the hardware refuses
     * inconsistent combinations (an exit with -KEEL_EINVAL). */
    uint64_t cr0, cr2, cr3, cr4, cr8, efer;
    uint64_t dr6, dr7;
    struct keel_x86_segment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    /* MSRs the guest owns (the kernel loads them with the guest, VMLOAD/VMSAVE). */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip, pat;
    /* The guest's instruction after sti or mov ss: interrupts held off (bit 0). */
    uint64_t interrupt_shadow;
    /* An event to inject on resume, in SVM EVENTINJ format (vector 0-7, type 8-10, error code
     * valid 11, valid 31, error code 32-63); the kernel clears it once delivered. */
    uint64_t inject;
    /* Exit when the guest can take an interrupt (rflags.IF set, no shadow): KEEL_X86_WANT_*. */
    uint64_t want;
    /* The guest's timer (the VMM's LAPIC timer model), kept by the kernel: when the kernel's
     * timer (keel_cycles) reaches it, the run ends with KEEL_VCPU_EXIT_VTIMER and the kernel sets
     * it to UINT64_MAX (none). */
    uint64_t timer_deadline;
    /* Exit details (written by the kernel): SVM exit code, EXITINFO1, EXITINFO2, EXITINTINFO
     * (an event whose delivery the exit interrupted: inject it again). */
    uint64_t exit_code, exit_info1, exit_info2, exit_int_info;
    uint64_t features; /* written by the kernel: KEEL_VCPU_X86_* */
};

#define KEEL_VCPU_X86_SVM 1ull

/* CR4 bits the kernel never runs a guest with (VCPU_RESUME is EINVAL): protection keys (PKE), as
 * PKRU is not switched between VMs. */
#define KEEL_X86_CR4_REFUSED (1ull << 22)
#define KEEL_X86_WANT_IRQ_WINDOW 1ull /* exit with KEEL_X86_EXIT_VINTR once IF is set */

#define KEEL_X86_INJECT_VALID (1ull << 31)
#define KEEL_X86_INJECT_ERROR (1ull << 11)
#define KEEL_X86_INJECT_EXT_INTR (0ull << 8)
#define KEEL_X86_INJECT_NMI (2ull << 8)
#define KEEL_X86_INJECT_EXCEPTION (3ull << 8)
#define KEEL_X86_INJECT_SOFT_INT (4ull << 8)

/* SVM exit codes the VMM sees (APM vol. 2, appendix C). */
#define KEEL_X86_EXIT_WRITE_CR4 0x14 /* MOV to CR4: the kernel intercepts it (the VMM emulates it:
                                      * a CR4 with PKE is never run, KEEL_X86_CR4_REFUSED) */
#define KEEL_X86_EXIT_READ_DR0 0x20
#define KEEL_X86_EXIT_WRITE_DR0 0x30
#define KEEL_X86_EXIT_EXCP0 0x40
#define KEEL_X86_EXIT_VINTR 0x64
#define KEEL_X86_EXIT_RDPMC 0x6f
#define KEEL_X86_EXIT_CPUID 0x72
#define KEEL_X86_EXIT_INVD 0x76
#define KEEL_X86_EXIT_HLT 0x78
#define KEEL_X86_EXIT_INVLPGA 0x7a
#define KEEL_X86_EXIT_IOIO 0x7b
#define KEEL_X86_EXIT_MSR 0x7c
#define KEEL_X86_EXIT_TASK_SWITCH 0x7d
#define KEEL_X86_EXIT_FERR_FREEZE 0x7e
#define KEEL_X86_EXIT_SHUTDOWN 0x7f
#define KEEL_X86_EXIT_VMRUN 0x80
#define KEEL_X86_EXIT_VMMCALL 0x81
#define KEEL_X86_EXIT_VMLOAD 0x82
#define KEEL_X86_EXIT_VMSAVE 0x83
#define KEEL_X86_EXIT_STGI 0x84
#define KEEL_X86_EXIT_CLGI 0x85
#define KEEL_X86_EXIT_SKINIT 0x86
#define KEEL_X86_EXIT_ICEBP 0x88
#define KEEL_X86_EXIT_WBINVD 0x89
#define KEEL_X86_EXIT_MONITOR 0x8a
#define KEEL_X86_EXIT_MWAIT 0x8b
#define KEEL_X86_EXIT_MWAIT_COND 0x8c
#define KEEL_X86_EXIT_XSETBV 0x8d
#define KEEL_X86_EXIT_RDPRU 0x8e
#define KEEL_X86_EXIT_NPF 0x400

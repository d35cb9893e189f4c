/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 vCPU state area (extended vCPU mode, see uapi/keel/vcpu.h), one format for both
 * back ends: AMD SVM and Intel VT-x (features says which: KEEL_VCPU_X86_SVM, KEEL_VCPU_X86_VMX).
 * What moves at each exit and resume, and what only on the VMM's request: struct
 * keel_vcpu_sync (uapi/keel/vcpu.h).
 *
 * Segments use SVM's packed attribute format (bits 0-7: type, S, DPL, P; bits 8-11: AVL, L, D/B,
 * G); a segment without P is unusable. Exits to the VMM (KEEL_VCPU_EXIT_TRAP) carry an exit
 * code and two information words in SVM's format (AMD64 APM vol. 2, §15 and appendix C, without
 * decode assists or next-RIP save but where named below), whichever back end runs: with VT-x the
 * kernel translates (IOIO with the next rip in exit_info2, NPF with SVM's error-code bits and the
 * address, MSR's read/write, the debug register number in the code). A few exits only VT-x has
 * come as KEEL_X86_EXIT_VMX_*. The guest's hypercall instruction is its CPU's: VMMCALL on AMD,
 * VMCALL on Intel (both exit as KEEL_X86_EXIT_VMMCALL, 3 bytes).
 */
#pragma once
#include <hw/svm.h>
#include <stdint.h>

struct keel_x86_segment {
    uint16_t selector;
    uint16_t attr;
    uint32_t limit;
    uint64_t base;
};

/* The state the VMM needs only now and then (group KEEL_VCPU_SYNC_SYS: in the area only when
 * it asks, uapi/keel/vcpu.h): CR2, the debug registers, the segments but CS, the descriptor
 * tables, and the MSRs the guest owns (the kernel loads them with the guest, VMLOAD/VMSAVE). */
struct keel_x86_sys {
    uint64_t cr2, dr6, dr7;
    struct keel_x86_segment es, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip, pat;
};

struct keel_vcpu_state {
    struct keel_vcpu_sync sync;
    /* Always in the area at an exit, always taken on resume: */
    /* General registers by their encoding: rax 0, rcx 1, rdx 2, rbx 3, rsp 4, rbp 5, rsi 6, rdi 7,
     * r8..r15 8..15. */
    uint64_t gpr[16];
    uint64_t rip, rflags;
    /* Control state and the code segment (what decoding an instruction needs). EFER.SVME is the
     * kernel's (it reads back clear); the hardware refuses inconsistent combinations (an exit
     * with -KEEL_EINVAL). */
    uint64_t cr0, cr3, cr4, cr8, efer;
    struct keel_x86_segment cs;
    /* The guest's instruction after sti or mov ss: interrupts held off (bit 0). */
    uint64_t interrupt_shadow;
    /* An event to inject on resume, in SVM EVENTINJ format (vector 0-7, type 8-10, error code
     * valid 11, valid 31, error code 32-63); the kernel clears it once delivered. Resuming is
     * EINVAL for a reserved type, an NMI not on vector 2, an exception vector above 31 (or 2), an
     * error code with anything but an exception, or above 16 bits, and in protected mode an
     * exception with an error code that pushes none or without one that pushes one (#DF, #TS,
     * #NP, #SS, #GP, #PF, #AC, #CP); in real mode the error code is dropped. VT-x without
     * zero-length injection refuses software interrupts (type 4). */
    uint64_t inject;
    /* Exit when the guest can take an interrupt (rflags.IF set, no shadow): KEEL_X86_WANT_*. */
    uint64_t want;
    /* The guest's timer (the VMM's LAPIC timer model), kept by the kernel: when the kernel's
     * timer (keel_cycles) reaches it, the run ends with KEEL_VCPU_EXIT_VTIMER and the kernel sets
     * it to UINT64_MAX (none). */
    uint64_t timer_deadline;
    /* The I/O port of the VM's ACPI PM timer (0: none), which the kernel answers itself: a
     * 32-bit IN there reads 24 bits counting at 3.579545 MHz from the kernel's clock
     * (keel_cycles() * 3579545 / the timer frequency, the VMM's model's count), without an exit.
     * Firmware and OSes read it in tight loops (OVMF's delays, Linux's TSC calibration, which
     * takes a read that lasts more than 50 000 TSC cycles as disturbed). */
    uint64_t pm_timer_port;
    /* Exit details (written by the kernel): SVM exit code, EXITINFO1, EXITINFO2, EXITINTINFO
     * (an event whose delivery the exit interrupted: inject it again). */
    uint64_t exit_code, exit_info1, exit_info2, exit_int_info;
    uint64_t features; /* written by the kernel: KEEL_VCPU_X86_* */
    struct keel_x86_sys sys; /* KEEL_VCPU_SYNC_SYS */
};

#define KEEL_VCPU_X86_SVM 1ull
#define KEEL_VCPU_X86_VMX 2ull

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

/* SVM exit codes the VMM sees (hw/svm.h). */
#define KEEL_X86_EXIT_WRITE_CR4 (SVM_EXIT_WRITE_CR0 + 4) /* MOV to CR4: the kernel intercepts it (the
                                      * VMM emulates it: a CR4 with PKE is never run,
                                      * KEEL_X86_CR4_REFUSED) */
#define KEEL_X86_EXIT_WRITE_CR8                                                                    \
    (SVM_EXIT_WRITE_CR0 + 8) /* MOV to CR8 while an interrupt window
                                      * is open (SVM only: the kernel intercepts it then; the VMM
                                      * emulates it into cr8, the TPR) */
#define KEEL_X86_EXIT_READ_DR0 SVM_EXIT_READ_DR0
#define KEEL_X86_EXIT_WRITE_DR0 SVM_EXIT_WRITE_DR0
#define KEEL_X86_EXIT_EXCP0 SVM_EXIT_EXCP(0)
#define KEEL_X86_EXIT_VINTR SVM_EXIT_VINTR
#define KEEL_X86_EXIT_RDPMC SVM_EXIT_RDPMC
#define KEEL_X86_EXIT_CPUID SVM_EXIT_CPUID
#define KEEL_X86_EXIT_INVD SVM_EXIT_INVD
#define KEEL_X86_EXIT_HLT SVM_EXIT_HLT
#define KEEL_X86_EXIT_INVLPGA SVM_EXIT_INVLPGA
#define KEEL_X86_EXIT_IOIO SVM_EXIT_IOIO
#define KEEL_X86_EXIT_MSR SVM_EXIT_MSR
#define KEEL_X86_EXIT_TASK_SWITCH SVM_EXIT_TASK_SWITCH
#define KEEL_X86_EXIT_FERR_FREEZE SVM_EXIT_FERR_FREEZE
#define KEEL_X86_EXIT_SHUTDOWN SVM_EXIT_SHUTDOWN
#define KEEL_X86_EXIT_VMRUN SVM_EXIT_VMRUN
#define KEEL_X86_EXIT_VMMCALL SVM_EXIT_VMMCALL
#define KEEL_X86_EXIT_VMLOAD SVM_EXIT_VMLOAD
#define KEEL_X86_EXIT_VMSAVE SVM_EXIT_VMSAVE
#define KEEL_X86_EXIT_STGI SVM_EXIT_STGI
#define KEEL_X86_EXIT_CLGI SVM_EXIT_CLGI
#define KEEL_X86_EXIT_SKINIT SVM_EXIT_SKINIT
#define KEEL_X86_EXIT_ICEBP SVM_EXIT_ICEBP
#define KEEL_X86_EXIT_WBINVD SVM_EXIT_WBINVD
#define KEEL_X86_EXIT_MONITOR SVM_EXIT_MONITOR
#define KEEL_X86_EXIT_MWAIT SVM_EXIT_MWAIT
#define KEEL_X86_EXIT_MWAIT_COND SVM_EXIT_MWAIT_COND
#define KEEL_X86_EXIT_XSETBV SVM_EXIT_XSETBV
#define KEEL_X86_EXIT_RDPRU SVM_EXIT_RDPRU
#define KEEL_X86_EXIT_NPF SVM_EXIT_NPF
/* VT-x only: a VMX instruction, GETSEC, INVEPT, INVVPID or VMFUNC (the guest has no VMX: #UD);
 * an exit the kernel has no translation for (exit_info1: VMX's basic exit reason). */
#define KEEL_X86_EXIT_VMX_INSN 0x1000
#define KEEL_X86_EXIT_VMX_OTHER 0x1001

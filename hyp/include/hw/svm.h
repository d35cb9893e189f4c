/* SPDX-License-Identifier: MIT */
/*
 * AMD SVM exit codes (APM vol. 2, appendix C, VMEXIT_*): the kernel finishes some of them itself,
 * the VMM sees the rest (uapi/keel/vcpu_state_x86_64.h names those KEEL_X86_EXIT_*). Hardware
 * encodings only, shared by hyp/ and user level.
 */
#pragma once

#define SVM_EXIT_WRITE_CR0 0x10 /* + n: MOV to CRn */
#define SVM_EXIT_READ_DR0 0x20  /* + n: MOV from DRn */
#define SVM_EXIT_WRITE_DR0 0x30 /* + n: MOV to DRn */
#define SVM_EXIT_EXCP(vector) (0x40u + (vector))
#define SVM_EXIT_INTR 0x60
#define SVM_EXIT_NMI 0x61
#define SVM_EXIT_SMI 0x62
#define SVM_EXIT_INIT 0x63
#define SVM_EXIT_VINTR 0x64
#define SVM_EXIT_RDPMC 0x6f
#define SVM_EXIT_CPUID 0x72
#define SVM_EXIT_INVD 0x76
#define SVM_EXIT_HLT 0x78
#define SVM_EXIT_INVLPGA 0x7a
#define SVM_EXIT_IOIO 0x7b
#define SVM_EXIT_MSR 0x7c
#define SVM_EXIT_TASK_SWITCH 0x7d
#define SVM_EXIT_FERR_FREEZE 0x7e
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMRUN 0x80
#define SVM_EXIT_VMMCALL 0x81
#define SVM_EXIT_VMLOAD 0x82
#define SVM_EXIT_VMSAVE 0x83
#define SVM_EXIT_STGI 0x84
#define SVM_EXIT_CLGI 0x85
#define SVM_EXIT_SKINIT 0x86
#define SVM_EXIT_ICEBP 0x88
#define SVM_EXIT_WBINVD 0x89
#define SVM_EXIT_MONITOR 0x8a
#define SVM_EXIT_MWAIT 0x8b
#define SVM_EXIT_MWAIT_COND 0x8c
#define SVM_EXIT_XSETBV 0x8d
#define SVM_EXIT_RDPRU 0x8e
#define SVM_EXIT_NPF 0x400

/* SPDX-License-Identifier: MIT */
/*
 * Extended vCPU mode: a thread of a VMM runs a guest CPU. The VMM binds the thread to a VM (a
 * Task made with KEEL_TASK_VM, whose address space is the guest-physical space: stage 2 on
 * arm64, G-stage on riscv64, the nested page table of AMD SVM on x86_64) and to a state area
 * (one page in the VMM task's UTCB area), then calls Thread VCPU_RESUME on itself: the kernel
 * loads the guest state from the area (checking it), runs the guest, and returns when the guest
 * does something the kernel does not finish itself. The reply's label is the exit reason; the
 * area holds the guest state and the exit details. The VMM emulates, updates the area, resumes.
 */
#pragma once
#include <stdint.h>

enum keel_vcpu_exit {
    KEEL_VCPU_EXIT_TRAP = 1,   /* a synchronous trap: syndrome in the state area (arm64 ESR_EL2,
                                 riscv64 scause) */
    KEEL_VCPU_EXIT_EVENT = 2,  /* something for the VMM thread arrived (IPC, Irq) */
    KEEL_VCPU_EXIT_VTIMER = 3, /* the guest's virtual timer fired and the kernel did not inject
                                  it (arm64: held until the guest deactivates INTID 27, see
                                  vtimer_held); x86_64: timer_deadline passed (now UINT64_MAX) */
    KEEL_VCPU_EXIT_VGIC = 4,   /* a list-register condition the VMM asked for (arm64: an LR with
                                 the EOI bit deactivated, other than INTID 27's alone,
                                 KEEL_VGIC_UNDERFLOW, _NO_PENDING) */
};

/* Hypercalls the kernel answers itself, without an exit to the VMM (arm64: HVC #0 with the
 * function ID in x0, SMCCC's vendor-specific hypervisor service range; riscv64: an SBI call,
 * ecall with the extension ID in a7, from the firmware-specific range, function 0 in a6; x86_64:
 * VMMCALL with the number in eax). */
#define KEEL_HVC_NULL 0xc6000000u /* returns 0 in x0: the guest-kernel round trip */
#define KEEL_SBI_EXT_NULL 0x0a4b4c00u /* returns a0 = 0 (SBI_SUCCESS), a1 = 0 */
#define KEEL_X86_VMMCALL_NULL 0x4b4c0000u /* VMMCALL with it in eax: eax = 0 */

/*
 * State transfer by need. Each architecture's area (below) has the state that moves at every
 * exit and resume (general registers, pc, the exit's details, the virtual interrupts and timer)
 * and groups that stay in the kernel (or in the CPU, while the vCPU thread keeps its CPU) until
 * the VMM asks for them:
 *   want   (VMM)    groups the kernel writes into the area at every exit;
 *   valid  (kernel) groups whose values in the area are the vCPU's at this exit (or after
 *                   Thread VCPU_SYNC, which writes every group into the area at once);
 *   dirty  (VMM)    groups the VMM wrote into the area: the next resume takes them (all of the
 *                   group's fields) and clears the bits. A VMM that changes part of a group
 *                   has it valid first.
 */
struct keel_vcpu_sync {
    uint64_t want, valid, dirty;
};
#define KEEL_VCPU_SYNC_SYS 1ull /* arm64 EL1, riscv64 VS-level, x86_64 control/segment/MSR state */

#if defined(__aarch64__) || defined(KEEL_UAPI_ARM64)
#include <uapi/keel/vcpu_state_arm64.h>
#elif defined(__riscv) || defined(KEEL_UAPI_RISCV64)
#include <uapi/keel/vcpu_state_riscv64.h>
#elif defined(__x86_64__) || defined(KEEL_UAPI_X86_64)
#include <uapi/keel/vcpu_state_x86_64.h>
#endif

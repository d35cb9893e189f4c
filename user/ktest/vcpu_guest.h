/* SPDX-License-Identifier: MIT */
/*
 * The smallest guest a kernel test runs in a VM of its own, per architecture: where its code goes
 * (GUEST_PA, guest-physical, translation off) and the state it starts in. Every exit it makes
 * (arm64 HVC, riscv64 ECALL, x86_64 HLT) is the VMM's, i.e. the test's.
 */
#pragma once
#include <stdint.h>
#include <uapi/keel/vcpu.h>

#if defined(__aarch64__)
#define GUEST_PA 0x80000000ull
static inline void vcpu_guest_start(struct keel_vcpu_state *s, uint64_t pc)
{
    s->pc = pc;
    s->pstate = 0x3c5;             /* EL1h, DAIF masked */
    s->sys.sctlr_el1 = 0x30d00800; /* MMU off */
    s->x[0] = 1;                   /* not the kernel's own hypercall: each HVC is the VMM's */
}
#elif defined(__riscv)
#define GUEST_PA 0x80000000ull
static inline void vcpu_guest_start(struct keel_vcpu_state *s, uint64_t pc)
{
    s->pc = pc;
    s->priv = 1; /* VS-mode, translation off */
    s->vstimecmp = UINT64_MAX;
    s->x[17] = 0x0a4b4cffu; /* an SBI extension the kernel does not answer: the VMM's */
}
#elif defined(__x86_64__)
#define GUEST_PA 0x1000ull
/* 32-bit protected mode, flat segments, paging off. */
static inline void vcpu_guest_start(struct keel_vcpu_state *s, uint64_t pc)
{
    const struct keel_x86_segment code = { 0x10, 0xc9b, 0xffffffffu, 0 };
    const struct keel_x86_segment data = { 0x18, 0xc93, 0xffffffffu, 0 };
    s->rip = pc;
    s->rflags = 2;
    s->cr0 = 0x11; /* PE, ET */
    s->timer_deadline = UINT64_MAX;
    s->cs = code;
    s->sys.ds = s->sys.es = s->sys.ss = s->sys.fs = s->sys.gs = data;
    s->sys.dr6 = 0xffff0ff0;
    s->sys.dr7 = 0x400;
    s->sys.pat = 0x0007040600070406ull;
    s->sys.gdtr.limit = s->sys.idtr.limit = 0xffff;
    s->sys.ldtr = (struct keel_x86_segment){ 0, 0x82, 0xffff, 0 };
    s->sys.tr = (struct keel_x86_segment){ 0, 0x8b, 0xffff, 0 };
}
#endif

/* SPDX-License-Identifier: MIT */
/* The user register frame saved at the top of a thread's kernel stack on every entry (x86_64): the
 * general registers, then vector and error code, then what the CPU pushes on an interrupt. */
#pragma once
#include <stdint.h>
#include <arch/asm.h>

struct arch_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;                /* VECTOR_SYSCALL for the syscall entry */
    uint64_t rip, cs, rflags, rsp, ss;     /* the interrupt frame */
};

_Static_assert(sizeof(struct arch_regs) == ARCH_REGS_SIZE, "frame layout used by entry.S");
_Static_assert(__builtin_offsetof(struct arch_regs, vector) == ARCH_REGS_VECTOR, "entry.S");
_Static_assert(__builtin_offsetof(struct arch_regs, cs) == ARCH_REGS_CS, "entry.S");

#define RFLAGS_IF (1ull << 9)
#define RFLAGS_USER_MASK 0xcd5ull /* CF PF AF ZF SF DF OF: what user level may change */

/* The system call's registers: rax tag, rdi selector, rsi timeouts, rdx label (abi.md). */
static inline uint64_t *arch_regs_argp(struct arch_regs *r, unsigned n)
{
    return n == 0 ? &r->rax : n == 1 ? &r->rdi : n == 2 ? &r->rsi : &r->rdx;
}
static inline uint64_t arch_regs_arg(const struct arch_regs *r, unsigned n)
{
    return n == 0 ? r->rax : n == 1 ? r->rdi : n == 2 ? r->rsi : r->rdx;
}
static inline void arch_regs_set_arg(struct arch_regs *r, unsigned n, uint64_t v) { *arch_regs_argp(r, n) = v; }
static inline uint64_t arch_regs_pc(const struct arch_regs *r) { return r->rip; }
static inline uint64_t arch_regs_sp(const struct arch_regs *r) { return r->rsp; }
static inline void arch_regs_set_pc(struct arch_regs *r, uint64_t v) { r->rip = v; }
static inline void arch_regs_set_sp(struct arch_regs *r, uint64_t v) { r->rsp = v; }

/* A fresh user frame: ring 3, interrupts on. Left through iretq (not a syscall frame). */
static inline void arch_regs_init_user(struct arch_regs *r, uint64_t pc, uint64_t sp)
{
    uint64_t r15 = r->r15; /* the UTCB pointer survives (arch_regs_set_utcb) */
    *r = (struct arch_regs){ 0 };
    r->r15 = r15;
    r->rip = pc;
    r->rsp = sp;
    r->cs = GDT_USER_CS;
    r->ss = GDT_USER_DS;
    r->rflags = RFLAGS_IF | 2;
}

/* A frame user level gave (plain vCPU mode): ring 3, interrupts on, only the arithmetic flags
 * its own, and left through iretq (its rcx and r11 may be live: not a system call's frame). */
static inline void arch_regs_sanitize_user(struct arch_regs *f, const struct arch_regs *cur)
{
    (void)cur;
    f->cs = GDT_USER_CS;
    f->ss = GDT_USER_DS;
    f->rflags = (f->rflags & RFLAGS_USER_MASK) | RFLAGS_IF | 2;
    f->vector = 0;
    f->error = 0;
}

/* Callee-saved state kept across a kernel context switch (switch.S). */
struct arch_context {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

/* The runtime finds its UTCB in r15, which user code never allocates (-ffixed-r15): set when the
 * thread is bound, like tp on riscv64. */
static inline void arch_regs_set_utcb(struct arch_regs *r, uint64_t uva) { r->r15 = uva; }

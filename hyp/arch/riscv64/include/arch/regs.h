/* SPDX-License-Identifier: MIT */
/* The user register frame saved at the top of a thread's kernel stack on every entry (riscv64). */
#pragma once
#include <stdint.h>
#include <arch/asm.h>

struct arch_regs {
    uint64_t x[32];  /* x[0] unused; x[2] is the user sp, x[4] the user tp */
    uint64_t pc;     /* sepc */
    uint64_t status; /* sstatus */
};

_Static_assert(sizeof(struct arch_regs) == ARCH_REGS_SIZE, "frame layout used by trap.S");

/* The system call's registers a0..a3 (see uapi/keel/syscall.h). */
static inline uint64_t arch_regs_arg(const struct arch_regs *r, unsigned n) { return r->x[10 + n]; }
static inline void arch_regs_set_arg(struct arch_regs *r, unsigned n, uint64_t v) { r->x[10 + n] = v; }
static inline uint64_t arch_regs_pc(const struct arch_regs *r) { return r->pc; }
static inline uint64_t arch_regs_sp(const struct arch_regs *r) { return r->x[2]; }
static inline void arch_regs_set_pc(struct arch_regs *r, uint64_t v) { r->pc = v; }
static inline void arch_regs_set_sp(struct arch_regs *r, uint64_t v) { r->x[2] = v; }

/* A fresh user frame: U-mode (SPP clear), interrupts on after sret (SPIE). */
static inline void arch_regs_init_user(struct arch_regs *r, uint64_t pc, uint64_t sp)
{
    for (unsigned i = 0; i < 32; i++) {
        r->x[i] = 0;
    }
    r->pc = pc;
    r->x[2] = sp;
    r->status = 1ull << 5; /* SPIE */
}

/* A frame user level gave (plain vCPU mode): nothing of sstatus is user level's; the thread's
 * own stays. */
static inline void arch_regs_sanitize_user(struct arch_regs *f, const struct arch_regs *cur)
{
    f->status = cur->status;
}

/* Callee-saved state kept across a kernel context switch (switch.S): ra, sp, s0-s11. */
struct arch_context {
    uint64_t ra, sp, s[12];
};

/* The runtime finds its UTCB in tp (set when the thread is bound; user code keeps it). */
static inline void arch_regs_set_utcb(struct arch_regs *r, uint64_t uva) { r->x[4] = uva; }

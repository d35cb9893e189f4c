/* SPDX-License-Identifier: MIT */
/* The user register frame saved at the top of a thread's kernel stack on every entry (arm64). */
#pragma once
#include <stdint.h>
#include <arch/asm.h>

struct arch_regs {
    uint64_t x[31];
    uint64_t sp;     /* SP_EL0 */
    uint64_t pc;     /* ELR_EL2 */
    uint64_t pstate; /* SPSR_EL2 */
};

_Static_assert(sizeof(struct arch_regs) == ARCH_REGS_SIZE, "frame layout used by vectors.S");

/* The system call's registers (see uapi/keel/syscall.h). */
static inline uint64_t arch_regs_arg(const struct arch_regs *r, unsigned n) { return r->x[n]; }
static inline void arch_regs_set_arg(struct arch_regs *r, unsigned n, uint64_t v) { r->x[n] = v; }
static inline uint64_t arch_regs_pc(const struct arch_regs *r) { return r->pc; }
static inline uint64_t arch_regs_sp(const struct arch_regs *r) { return r->sp; }
static inline void arch_regs_set_pc(struct arch_regs *r, uint64_t v) { r->pc = v; }
static inline void arch_regs_set_sp(struct arch_regs *r, uint64_t v) { r->sp = v; }

/* A fresh user frame: EL0t, interrupts unmasked, entry at pc with stack sp. */
static inline void arch_regs_init_user(struct arch_regs *r, uint64_t pc, uint64_t sp)
{
    for (unsigned i = 0; i < 31; i++) {
        r->x[i] = 0;
    }
    r->pc = pc;
    r->sp = sp;
    r->pstate = 0; /* EL0t, DAIF clear */
}

/* A frame user level gave (plain vCPU mode): EL0t with DAIF clear, only the flags NZCV its own. */
static inline void arch_regs_sanitize_user(struct arch_regs *f, const struct arch_regs *cur)
{
    (void)cur;
    f->pstate &= 0xf0000000ull;
}

/* Callee-saved state kept across a kernel context switch (switch.S). */
struct arch_context {
    uint64_t x19_x30[12];
    uint64_t sp;
    uint64_t tpidr_el0; /* the thread's while another runs (context.c); switch.S leaves it */
    uint64_t tpidr_el0_other; /* plain vCPU mode: the other side's (user_task / its own task) */
};

/* The runtime finds its UTCB in TPIDRRO_EL0, loaded on every switch (context.c). */
static inline void arch_regs_set_utcb(struct arch_regs *r, uint64_t uva) { (void)r; (void)uva; }

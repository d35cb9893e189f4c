/* SPDX-License-Identifier: MIT */
/* The user register frame of the fake architecture (host unit tests): a plain array. */
#pragma once
#include <stdint.h>

struct arch_regs {
    uint64_t x[8]; /* x[0..3]: the system call's arguments */
    uint64_t sp;
    uint64_t pc;
    uint64_t utcb;
};

static inline uint64_t arch_regs_arg(const struct arch_regs *r, unsigned n) { return r->x[n]; }
static inline void arch_regs_set_arg(struct arch_regs *r, unsigned n, uint64_t v) { r->x[n] = v; }
static inline uint64_t arch_regs_pc(const struct arch_regs *r) { return r->pc; }
static inline uint64_t arch_regs_sp(const struct arch_regs *r) { return r->sp; }
static inline void arch_regs_set_pc(struct arch_regs *r, uint64_t v) { r->pc = v; }
static inline void arch_regs_set_sp(struct arch_regs *r, uint64_t v) { r->sp = v; }

static inline void arch_regs_init_user(struct arch_regs *r, uint64_t pc, uint64_t sp)
{
    *r = (struct arch_regs){ .pc = pc, .sp = sp };
}

/* Nothing is switched on the host: kernel code that switches contexts is not unit-tested. */
struct arch_context {
    uint64_t unused;
};

static inline void arch_regs_set_utcb(struct arch_regs *r, uint64_t uva) { r->utcb = uva; }

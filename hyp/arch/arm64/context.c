// SPDX-License-Identifier: MIT
// Thread context on arm64: the kernel stack layout and the per-CPU user state loaded on switch.
#include <keel/arch/context.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/arch/pt.h>
#include <arch/sysreg.h>
#include "internal.h"


void arch_context_init(struct arch_context *ctx, struct arch_regs *frame, arch_resume_fn *fn)
{
    for (unsigned i = 0; i < 12; i++) {
        ctx->x19_x30[i] = 0;
    }
    ctx->x19_x30[0] = (uint64_t)(uintptr_t)fn;                      /* x19: called first */
    ctx->x19_x30[11] = (uint64_t)(uintptr_t)arch_thread_trampoline; /* x30: where switch returns */
    ctx->sp = (uint64_t)(uintptr_t)frame;
}

__attribute__((always_inline)) inline void arch_thread_switch(struct thread *prev, struct thread *next)
{
    /* EL0 writes TPIDR_EL0 at will (thread-local storage): it goes with the thread, and in plain
     * vCPU mode (prev == next: its space changed) the program in user_task has its own, kept
     * while the vCPU runs in its task (and the other way round). */
    if (prev->vcpu.arch) {
        arch_vcpu_switch_out(prev); /* its guest's EL1 registers, if still in this CPU */
    }
    uint64_t live = sysreg_read(tpidr_el0);
    if (prev == next) {
        sysreg_write(tpidr_el0, next->ctx.tpidr_el0_other);
        next->ctx.tpidr_el0_other = live;
    } else {
        prev->ctx.tpidr_el0 = live;
        sysreg_write(tpidr_el0, next->ctx.tpidr_el0);
    }
    arch_pt_activate(next->space ? &next->space->mem.pt : NULL);
    sysreg_write(tpidrro_el0, va_val(next->utcb_uva)); /* the runtime finds its UTCB here */
}

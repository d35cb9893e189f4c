// SPDX-License-Identifier: MIT
// Thread context on riscv64: kernel stack layout and the address space loaded on switch.
#include <keel/arch/context.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/arch/pt.h>
#include "internal.h"


void arch_context_init(struct arch_context *ctx, struct arch_regs *frame, arch_resume_fn *fn)
{
    for (unsigned i = 0; i < 12; i++) {
        ctx->s[i] = 0;
    }
    ctx->s[0] = (uint64_t)(uintptr_t)fn;
    ctx->ra = (uint64_t)(uintptr_t)arch_thread_trampoline;
    ctx->sp = (uint64_t)(uintptr_t)frame;
}

__attribute__((always_inline)) inline void arch_thread_switch(struct thread *prev, struct thread *t)
{
    if (prev->vcpu.arch) {
        arch_vcpu_switch_out(prev); /* its guest's VS CSRs, if still in this hart */
    }
    arch_pt_activate(t->space ? &t->space->mem.pt : NULL);
}

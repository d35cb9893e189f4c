// SPDX-License-Identifier: MIT
// Thread context on x86_64: the kernel stack layout, and what a switch loads for the next thread:
// its address space and the stack its next entry from user level lands on (TSS.RSP0, syscall).
#include <keel/arch/context.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/percpu.h>
#include <keel/arch/pt.h>
#include <arch/x86.h>
#include "internal.h"


void arch_context_init(struct arch_context *ctx, struct arch_regs *frame, arch_resume_fn *fn)
{
    *ctx = (struct arch_context){ 0 };
    ctx->r12 = (uint64_t)(uintptr_t)fn;
    ctx->rip = (uint64_t)(uintptr_t)arch_thread_trampoline;
    ctx->rsp = (uint64_t)(uintptr_t)frame;
}

__attribute__((always_inline)) inline void arch_thread_switch(struct thread *prev, struct thread *t)
{
    if (prev->vcpu.arch) {
        arch_vcpu_switch_out(prev); /* its guest's x87/SSE registers, if still in this CPU */
    }
    arch_pt_activate(t->space ? &t->space->mem.pt : NULL);
    if (t->kstack) {
        uint64_t top = (uint64_t)(uintptr_t)t->kstack + THREAD_KSTACK_SIZE;
        this_cpu()->arch.kernel_sp = top;
        gdt_set_kernel_stack(top);
    }
}

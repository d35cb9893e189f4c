// SPDX-License-Identifier: MIT
// Thread context on riscv64: kernel stack layout and the address space loaded on switch.
#include <keel/arch/context.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/arch/pt.h>

void arch_thread_trampoline(void);

void arch_context_init(struct arch_context *ctx, void *stack_top, void (*entry)(void))
{
    for (unsigned i = 0; i < 12; i++) {
        ctx->s[i] = 0;
    }
    ctx->s[0] = (uint64_t)(uintptr_t)entry;
    ctx->ra = (uint64_t)(uintptr_t)arch_thread_trampoline;
    ctx->sp = (uint64_t)(uintptr_t)stack_top;
}

noreturn void arch_return_to_user(struct arch_regs *frame)
{
    __asm__ volatile("mv sp, %0\n j arch_return_to_user_frame" : : "r"(frame) : "memory");
    __builtin_unreachable();
}

void arch_thread_switch_in(struct thread *t)
{
    arch_pt_activate(t->task ? &t->task->mem.pt : NULL);
}

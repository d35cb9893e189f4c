// SPDX-License-Identifier: MIT
// Extended vCPU mode on x86_64 (SVM / VT-x): not yet.
#include <keel/arch/vcpu.h>
#include <uapi/keel/err.h>

const uint64_t arch_vcpu_state_size = 0;
const uint64_t arch_vcpu_private_size = 0;

void arch_vcpu_release(struct thread *t)
{
    (void)t;
}

int64_t arch_vcpu_run(struct thread *self, struct task *vm, void *state)
{
    (void)self;
    (void)vm;
    (void)state;
    return -KEEL_EPROTO;
}

int64_t arch_task_map_virt_cpuif(struct task *t, uint64_t gpa)
{
    (void)t;
    (void)gpa;
    return -KEEL_EPROTO; /* no memory-mapped virtual CPU interface here */
}

// SPDX-License-Identifier: MIT
// The resume loop (see vcpu_loop.h): no system call of its own, so that the host tests run it.
#include "vcpu_loop.h"

int vcpu_loop_run(const struct vcpu_loop *l)
{
    const struct vcpu_loop_ops *ops = l->ops;
    for (;;) {
        int next = ops->before_resume(l->arg);
        if (next == VCPU_LOOP_STOP) {
            return 0;
        }
        if (next != VCPU_LOOP_RESUME) {
            if (next == VCPU_LOOP_NOT_NOW) {
                continue;
            }
            return -1;
        }
        int64_t r = vcpu_resume(l->thread, l->kick);
        if (l->exits) {
            l->exits[r > 0 && r < 8 ? r : 0]++;
        }
        if (ops->exit(l->arg, r) != 0) {
            return -1;
        }
    }
}

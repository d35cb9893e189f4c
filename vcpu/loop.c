// SPDX-License-Identifier: MIT
// The resume loop (see vcpu_loop.h): no system call of its own, so that the host tests run it.
#include "vcpu_loop.h"

int vcpu_loop_run(const struct vcpu_loop *l)
{
    const struct vcpu_loop_ops *ops = l->ops;
    while (!ops->stop(l->arg)) {
        int ready = ops->before_resume(l->arg);
        if (ready < 0) {
            return -1;
        }
        if (ready > 0) {
            continue;
        }
        int64_t r = vcpu_resume(l->thread, l->kick);
        if (l->exits) {
            l->exits[r > 0 && r < 8 ? r : 0]++;
        }
        if (ops->exit(l->arg, r) != 0) {
            return -1;
        }
    }
    return 0;
}

// SPDX-License-Identifier: MIT
// The vCPU loop (see vcpu_loop.h).
#include "vcpu_loop.h"
#include <keel/rt.h>
#include <keel/sys.h>

int vcpu_loop_run(struct vm *vm, struct keel_vcpu_state *s)
{
    while (!vm->off) {
        int64_t r = KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_VCPU_RESUME);
        if (r < 0) {
            printf("vmm: resume refused: %s\n", keel_strerror(r));
            return -1;
        }
        if (r == KEEL_VCPU_EXIT_TRAP && vcpu_handle_exit(vm, s) != 0) {
            return -1;
        }
        if (r == KEEL_VCPU_EXIT_VTIMER && vm->vtimer_exits++ == 0) {
            /* Until the virtual GIC lands there is no one to deliver it to: it stays masked. */
            printf("vmm: %s: virtual timer fired\n", vm->name);
        }
    }
    return 0;
}

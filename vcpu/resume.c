// SPDX-License-Identifier: MIT
// The kernel calls behind the resume loop (see vcpu_loop.h).
#include "vcpu_loop.h"
#include <keel/sys.h>
#include <uapi/keel/vcpu.h>

int64_t vcpu_resume(uint64_t thread, uint64_t kick)
{
    int64_t r = KOBJ(thread, KEEL_THREAD_VCPU_RESUME);
    if (r == KEEL_VCPU_EXIT_EVENT && kick) {
        while (!keel_tag_is_error(keel_receive(kick, KEEL_TIMEOUT_ZERO, 0))) {
        }
    }
    return r;
}

int64_t vcpu_state_fetch(uint64_t thread, struct keel_vcpu_state *s)
{
    if (s->sync.valid & KEEL_VCPU_SYNC_SYS) {
        return 0;
    }
    return KOBJ(thread, KEEL_THREAD_VCPU_SYNC);
}

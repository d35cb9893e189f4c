// SPDX-License-Identifier: MIT
// The C entry of a user program (called by crt0 with a stack): run main, flush the console, tell
// the parent (if the root task started it), and stop the thread. Pages come zeroed: no bss loop.
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <string.h>

void keel_start(void)
{
    int status = main();
    rt_flush();
    const struct keel_progenv *env = rt_progenv();
    if (env) {
        /* A program started by the root task: report the exit; the parent then ends the task. */
        keel_utcb()->mr[0] = (uint64_t)(int64_t)status;
        keel_call(KEEL_PROG_PARENT, keel_tag(KEEL_PROTO_EXIT, 1, 0), KEEL_NEVER, 0);
    }
    for (;;) {
        keel_wait(KEEL_TIMEOUT_NEVER, 0); /* nothing left to do */
    }
}

const struct keel_progenv *rt_progenv(void)
{
    const struct keel_progenv *env = (const struct keel_progenv *)(uintptr_t)KEEL_KIP_ADDR;
    return env->magic == KEEL_PROGENV_MAGIC ? env : NULL;
}

const struct keel_prog_link *rt_prog_link(const char *name)
{
    const struct keel_progenv *env = rt_progenv();
    for (unsigned i = 0; env && i < env->link_count && i < KEEL_PROG_MAX_LINKS; i++) {
        if (strcmp(env->links[i].name, name) == 0) {
            return &env->links[i];
        }
    }
    return NULL;
}

uint64_t rt_timer_freq(void)
{
    const struct keel_progenv *env = rt_progenv();
    return env ? env->timer_freq : rt_kip()->timer_freq;
}

// SPDX-License-Identifier: MIT
/*
 * The resume loop (vcpu/loop.c) against a scripted kernel: it resumes only when the VMM says the
 * vCPU may run, hands every exit (and a refusal) to the handler, counts them by reason, and ends
 * when the VMM stops it or a handler or preparation fails.
 */
#include "unit.h"
#include "vcpu_loop.h"
#include <string.h>

/* The kernel's answers, in order; after the script, the VM is off. */
static const int64_t *script;
static unsigned script_len, resumes;

int64_t vcpu_resume(uint64_t thread, uint64_t kick)
{
    CHECK_EQ(thread, 7);
    CHECK_EQ(kick, 9);
    return resumes < script_len ? script[resumes++] : -1;
}

struct vmm {
    unsigned stop_after; /* stop once this many exits are handled */
    unsigned not_now;    /* before_resume says "not now" this many times first */
    int fail_prepare_at; /* before_resume fails at this call (-1: never) */
    int fail_exit_at;    /* the handler fails at this exit (-1: never) */
    unsigned prepares, handled;
    int64_t seen[16];
};

static int before_resume(void *arg)
{
    struct vmm *m = arg;
    if (m->handled >= m->stop_after) {
        return VCPU_LOOP_STOP;
    }
    if ((int)m->prepares++ == m->fail_prepare_at) {
        return VCPU_LOOP_FAIL;
    }
    if (m->not_now) {
        m->not_now--;
        return VCPU_LOOP_NOT_NOW;
    }
    return VCPU_LOOP_RESUME;
}

static int on_exit(void *arg, int64_t reason)
{
    struct vmm *m = arg;
    m->seen[m->handled] = reason;
    return (int)m->handled++ == m->fail_exit_at ? -1 : 0;
}

static const struct vcpu_loop_ops ops = { before_resume, on_exit };

static int run(struct vmm *m, const int64_t *answers, unsigned n, uint64_t *exits)
{
    script = answers;
    script_len = n;
    resumes = 0;
    struct vcpu_loop l = { .thread = 7, .kick = 9, .exits = exits, .ops = &ops, .arg = m };
    return vcpu_loop_run(&l);
}

static void test_runs_until_stopped(void)
{
    static const int64_t answers[] = { 1, 2, 1, 3, 4 };
    struct vmm m = { .stop_after = 5, .not_now = 2, .fail_prepare_at = -1, .fail_exit_at = -1 };
    uint64_t exits[8] = { 0 };
    CHECK_EQ(run(&m, answers, 5, exits), 0);
    CHECK_EQ(resumes, 5);
    CHECK_EQ(m.prepares, 7); /* two "not now" before the first resume */
    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ(m.seen[i], answers[i]);
    }
    CHECK_EQ(exits[1], 2);
    CHECK_EQ(exits[2], 1);
    CHECK_EQ(exits[3], 1);
    CHECK_EQ(exits[4], 1);
    CHECK_EQ(exits[0], 0);
}

static void test_refusal_goes_to_the_handler(void)
{
    static const int64_t answers[] = { 1, -22, 99 };
    struct vmm m = { .stop_after = 3, .fail_prepare_at = -1, .fail_exit_at = -1 };
    uint64_t exits[8] = { 0 };
    CHECK_EQ(run(&m, answers, 3, exits), 0);
    CHECK_EQ(m.seen[1], -22);
    CHECK_EQ(exits[0], 2); /* the refusal and the unknown reason */
    CHECK_EQ(exits[1], 1);
}

static void test_ends(void)
{
    static const int64_t answers[] = { 1, 1, 1, 1 };
    struct vmm m = { .stop_after = 10, .fail_prepare_at = -1, .fail_exit_at = 1 };
    CHECK_EQ(run(&m, answers, 4, NULL), -1); /* the handler's end, with no counts kept */
    CHECK_EQ(resumes, 2);
    struct vmm p = { .stop_after = 10, .fail_prepare_at = 2, .fail_exit_at = -1 };
    CHECK_EQ(run(&p, answers, 4, NULL), -1); /* the preparation's end: no third resume */
    CHECK_EQ(resumes, 2);
    struct vmm off = { .stop_after = 0, .fail_prepare_at = -1, .fail_exit_at = -1 };
    CHECK_EQ(run(&off, answers, 4, NULL), 0); /* off from the start: never resumed */
    CHECK_EQ(resumes, 0);
    CHECK_EQ(off.prepares, 0);
}

int main(void)
{
    test_runs_until_stopped();
    test_refusal_goes_to_the_handler();
    test_ends();
    return unit_done("test_vcpu_loop");
}

/* SPDX-License-Identifier: MIT */
/*
 * The lifetime fuzzer (test_lifetime_fuzz.c): one round of it, used by its ktest case (a short
 * fixed seed) and by the soak mode (soak.c: rounds until a number of calls is reached).
 */
#pragma once
#include <stdint.h>
#include <uapi/keel/err.h>

#define LFUZZ_WORKERS 4

struct lfuzz_result {
    uint64_t calls;                   /* system calls the workers made */
    uint64_t us;                      /* from the workers' start until the last one finished */
    uint64_t outcome[KEEL_ERR_COUNT]; /* the workers' calls by result: [0] ok, [e] keel_err e */
    uint64_t minion_ops;              /* operations the threads the workers started finished */
    uint64_t minion_outcome[KEEL_ERR_COUNT]; /* ... by result (ECANCELED: a partner died) */
    uint64_t minion_starts;           /* threads started (EX_REGS to the minion's entry) */
    uint64_t turns, turn_timeouts;    /* the workers' turns (test_lifetime_fuzz.c) */
    uint64_t peak_used;               /* the fuzz factory's highest use seen (bytes) */
};

/* One round: LFUZZ_WORKERS worker threads in child tasks, spread over the online CPUs, make
 * `calls_per_worker` system calls each, choices drawn from `seed` alone; then every object is
 * destroyed, and the kernel memory level must be back where it was and the kernel must work.
 * Failures are reported through ktest_fail (ktest_failed_now). */
void lfuzz_round(uint64_t seed, uint64_t calls_per_worker, struct lfuzz_result *res);
/* Progress every 2 s while a round runs (soak.conf verbose=1). */
extern int lfuzz_verbose;
/* Whether the workers take turns, one making calls at a time (default 1; soak.conf turns=0). */
extern int lfuzz_turns;
/* One line: calls, time, outcomes, minions. */
void lfuzz_print(const char *what, uint64_t seed, const struct lfuzz_result *res);

/* Soak mode (soak.c): when the initrd holds soak.conf, runs the soak it describes, prints its
 * outcome and returns 1; returns 0 when there is none (the test suite runs). */
int soak_main(void);
/* The value of key=VALUE in the initrd's ktest.conf (only=PREFIX: just the cases whose names
 * start with it; skip=PREFIX: not those), in buf (NUL-terminated); returns its length, 0 when
 * there is none (soak.c). */
unsigned ktest_conf(const char *key, char *buf, unsigned max);

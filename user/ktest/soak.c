// SPDX-License-Identifier: MIT
/*
 * Soak mode of the kernel test suite: when the initrd holds a file "soak.conf", the test program
 * runs the lifetime fuzzer (test_lifetime_fuzz.c) in rounds until a number of calls is reached,
 * instead of the test cases. `make soak` (ci/soak) writes the file; it works alike on every
 * architecture, x86_64 too, whose kernel passes no command line to the root task. Its words:
 *
 *   calls=N    system calls in all (default 10 000 000)
 *   seed=S     the soak's seed (decimal or 0x...); absent or 0: chosen at boot from the clock
 *   round=R    the first round (default 0), to replay one that failed
 *   verbose=1  the workers' progress every 2 s
 *
 * Round r runs with its own seed, mix(seed, r), and is a whole lifetime-fuzz round: set-up,
 * SOAK_ROUND_CALLS calls per worker, everything destroyed, kernel memory level and the kernel's
 * health checked. So a leak or a hang is found in the round it happens in, and that round alone
 * can be run again (its seed, or seed= and round=). The last lines are the total, the rate and
 * "SOAK PASS" or "SOAK FAIL: ..." with the round to replay.
 *
 * A "ktest.conf" with only=PREFIX runs just the test cases whose names start with PREFIX (a
 * reproduction, say, without the rest of the suite); skip=PREFIX leaves those out.
 */
#include <keel/ktest.h>
#include <cpio.h>
#include "ktest_util.h"
#include "lfuzz.h"
#include <string.h>

#define SOAK_ROUND_CALLS 50000ull /* per worker: 200 000 calls a round */

/* The number after "key=" in the text, or def. */
static uint64_t conf_value(const char *p, uint64_t size, const char *key, uint64_t def)
{
    unsigned n = 0;
    while (key[n]) {
        n++;
    }
    for (uint64_t i = 0; i + n + 1 < size; i++) {
        if ((i && p[i - 1] != ' ' && p[i - 1] != '\n') || p[i + n] != '=') {
            continue;
        }
        unsigned k = 0;
        while (k < n && p[i + k] == key[k]) {
            k++;
        }
        if (k < n) {
            continue;
        }
        uint64_t v = 0, j = i + n + 1, base = 10;
        if (j + 1 < size && p[j] == '0' && (p[j + 1] == 'x' || p[j + 1] == 'X')) {
            base = 16;
            j += 2;
        }
        for (; j < size; j++) {
            char c = p[j];
            uint64_t d = c >= '0' && c <= '9' ? (uint64_t)(c - '0')
                       : base == 16 && c >= 'a' && c <= 'f' ? (uint64_t)(c - 'a' + 10)
                       : base == 16 && c >= 'A' && c <= 'F' ? (uint64_t)(c - 'A' + 10)
                                                            : 99;
            if (d >= base) {
                break;
            }
            v = v * base + d;
        }
        return v;
    }
    return def;
}

/* The file `name` of the initrd, or NULL. */
static const char *initrd_file(const char *name, uint64_t *size)
{
    const struct keel_kip *k = rt_kip();
    const char *start = (const char *)(uintptr_t)k->initrd_base;
    return k->initrd_size ? cpio_find(start, start + k->initrd_size, name, size) : 0;
}

unsigned ktest_conf(const char *key, char *buf, unsigned max)
{
    uint64_t size = 0;
    const char *p = initrd_file("ktest.conf", &size);
    unsigned k = 0;
    while (key[k]) {
        k++;
    }
    for (uint64_t i = 0; p && i + k + 1 <= size; i++) {
        int word_start = i == 0 || p[i - 1] == ' ' || p[i - 1] == '\n';
        if (!word_start || p[i + k] != '=' || memcmp(p + i, key, k) != 0) {
            continue;
        }
        unsigned n = 0;
        for (uint64_t j = i + k + 1; j < size && n + 1 < max && p[j] > ' '; j++) {
            buf[n++] = p[j];
        }
        buf[n] = 0;
        return n;
    }
    return 0;
}

static uint64_t soak_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int soak_main(void)
{
    uint64_t size = 0;
    const char *conf = initrd_file("soak.conf", &size);
    if (!conf) {
        return 0;
    }
    uint64_t calls = conf_value(conf, size, "calls", 10000000);
    uint64_t seed = conf_value(conf, size, "seed", 0);
    uint64_t round = conf_value(conf, size, "round", 0);
    lfuzz_verbose = (int)conf_value(conf, size, "verbose", 0);
    lfuzz_turns = (int)conf_value(conf, size, "turns", 1);
    if (!seed) {
        seed = soak_mix(keel_cycles()) & 0xffffffffffffull; /* short enough to type again */
    }
    printf("soak: %lu calls, seed 0x%lx, first round %lu, %u CPUs, %lu per round\n",
           (unsigned long)calls, (unsigned long)seed, (unsigned long)round, cpus_online(),
           (unsigned long)(SOAK_ROUND_CALLS * LFUZZ_WORKERS));
    struct lfuzz_result total = { 0 };
    uint64_t t0 = now_us(), rs = 0;
    for (; total.calls < calls; round++) {
        uint64_t left = (calls - total.calls + LFUZZ_WORKERS - 1) / LFUZZ_WORKERS;
        struct lfuzz_result r;
        rs = soak_mix(seed ^ soak_mix(round));
        lfuzz_round(rs, left < SOAK_ROUND_CALLS ? left : SOAK_ROUND_CALLS, &r);
        total.calls += r.calls;
        total.us += r.us;
        total.minion_ops += r.minion_ops;
        total.minion_starts += r.minion_starts;
        total.turns += r.turns;
        total.turn_timeouts += r.turn_timeouts;
        total.peak_used = r.peak_used > total.peak_used ? r.peak_used : total.peak_used;
        for (unsigned e = 0; e < KEEL_ERR_COUNT; e++) {
            total.outcome[e] += r.outcome[e];
            total.minion_outcome[e] += r.minion_outcome[e];
        }
        uint64_t us = now_us() - t0;
        printf("soak: round %lu (seed 0x%lx): %lu calls in %lu ms; %lu calls so far, %lu calls/s\n",
               (unsigned long)round, (unsigned long)rs, (unsigned long)r.calls,
               (unsigned long)(r.us / 1000), (unsigned long)total.calls,
               (unsigned long)(us ? total.calls * 1000000 / us : 0));
        if (ktest_failed_now) {
            break;
        }
    }
    uint64_t us = now_us() - t0;
    lfuzz_print("soak", seed, &total);
    printf("soak: %lu calls in %lu s: %lu calls/s\n", (unsigned long)total.calls,
           (unsigned long)(us / 1000000), (unsigned long)(us ? total.calls * 1000000 / us : 0));
    if (ktest_failed_now) {
        printf("SOAK FAIL: in round %lu (round seed 0x%lx); again: make soak SEED=0x%lx "
               "ROUND=%lu\n",
               (unsigned long)round, (unsigned long)rs, (unsigned long)seed, (unsigned long)round);
    } else {
        printf("SOAK PASS\n");
    }
    return 1;
}

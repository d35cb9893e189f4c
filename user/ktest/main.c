// SPDX-License-Identifier: MIT
// The kernel test suite runner (the root task of the test image): runs every KTEST and powers off;
// with a soak.conf in the initrd, the soak instead (soak.c).
#include <keel/ktest.h>
#include <keel/sys.h>
#include "ktest_util.h"
#include "lfuzz.h"
#include <stdlib.h>
#include <string.h>

extern const struct ktest __start_ktests[], __stop_ktests[];

int ktest_failed_now;
static const char *current;

/* The watchdog: a case that has not ended after the deadline fails the run at once, naming the
 * case, instead of at the runner's silence limit or timeout minutes later. It counts its own
 * one-second sleeps rather than reading the clock, so a host that stalls the emulator for tens of
 * seconds costs it one tick, not a false alarm; a case that keeps every CPU from it (CPU 0, at a
 * priority above the tests') is left to the runner's silence limit. */
#define WATCHDOG_PRIO 250
static volatile unsigned case_number; /* changes when a case ends ... */
static volatile unsigned progress;    /* ... or says it gets on (ktest_progress) */
static volatile unsigned passed, failed, case_deadline_s;
static unsigned deadline_s = 30; /* a case of the default: under 3 s on an idle host */
static struct kthread watchdog;

static void watchdog_loop(void)
{
    unsigned seen = case_number, seen_progress = progress, ticks = 0;
    for (;;) {
        keel_receive(watchdog.cap, 1000000, 0); /* nobody sends: the timeout ends it */
        unsigned now = case_number, now_progress = progress;
        ticks = now == seen && now_progress == seen_progress ? ticks + 1 : 0;
        seen = now;
        seen_progress = now_progress;
        if (ticks >= case_deadline_s && current) {
            printf("FAIL: %s: no end and no progress for %u s (the ktest watchdog: hung?)\n",
                   current, ticks);
            printf("KTEST DONE: %u passed, %u failed\n", passed, failed + 1);
            rt_flush();
            KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_POWER_OFF);
        }
    }
}

void ktest_progress(void)
{
    progress++;
}

static void watchdog_start(void)
{
    static char conf[16];
    if (ktest_conf("deadline", conf, sizeof(conf))) { /* ktest.conf: deadline=<seconds> */
        deadline_s = (unsigned)strtoul(conf, 0, 10);
    }
    if (!deadline_s) {
        return; /* deadline=0: no watchdog */
    }
    if (kthread_start(&watchdog, KEEL_ROOT_TASK, watchdog_loop, 0, 0) < 0 ||
        kthread_place(&watchdog, 0, WATCHDOG_PRIO, 0) < 0) {
        printf("ktest: no watchdog (cannot start its thread)\n");
        return;
    }
    printf("ktest: a case that runs %u s (or its own deadline) fails (the watchdog)\n", deadline_s);
}

void ktest_fail(const char *file, int line, const char *what, int64_t a, int64_t b)
{
    if (!ktest_failed_now) {
        printf("FAIL: %s: %s:%d: %s", current, file, line, what);
        if (a || b) {
            printf(" (%ld vs %ld)", (long)a, (long)b);
        }
        printf("\n");
    }
    ktest_failed_now = 1;
}

int main(void)
{
    const struct keel_kip *kip = rt_kip();
    if (kip->magic != KEEL_KIP_MAGIC) {
        printf("FAIL: kip: bad magic\n");
        return 1;
    }
    printf("ktest: %s, %lu CPUs, %lu MiB kernel memory\n", kip->arch, (unsigned long)kip->cpu_count,
           (unsigned long)(kip->kmem_total >> 20));
    ktest_init();
    current = "soak";
    if (soak_main()) {
        rt_flush();
        KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_POWER_OFF);
        return 0;
    }
    static char only[64], skip[64];
    unsigned only_len = ktest_conf("only", only, sizeof(only));
    unsigned skip_len = ktest_conf("skip", skip, sizeof(skip));
    if (only_len) {
        printf("ktest: only the cases whose names start with %s\n", only);
    }
    if (skip_len) {
        printf("ktest: not the cases whose names start with %s\n", skip);
    }
    watchdog_start();
    for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
        if ((only_len && strncmp(t->name, only, only_len) != 0) ||
            (skip_len && strncmp(t->name, skip, skip_len) == 0)) {
            continue;
        }
        current = t->name;
        ktest_failed_now = 0;
        printf("RUN: %s\n", t->name); /* (a hung case is named by the watchdog) */
        case_deadline_s = t->deadline_s ? t->deadline_s : deadline_s;
        uint64_t start = now_us();
        t->fn();
        if (ktest_failed_now) {
            failed++;
        } else {
            passed++;
            printf("PASS: %s (%lu ms)\n", t->name, (unsigned long)((now_us() - start) / 1000));
        }
        case_number++;
    }
    current = 0;
    printf("KTEST DONE: %u passed, %u failed\n", passed, failed);
    rt_flush();
    KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_POWER_OFF);
    return 0;
}

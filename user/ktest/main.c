// SPDX-License-Identifier: MIT
// The kernel test suite runner (the root task of the test image): runs every KTEST and powers off;
// with a soak.conf in the initrd, the soak instead (soak.c).
#include <keel/ktest.h>
#include <keel/sys.h>
#include "ktest_util.h"
#include "lfuzz.h"
#include <string.h>

extern const struct ktest __start_ktests[], __stop_ktests[];

int ktest_failed_now;
static const char *current;

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
    unsigned passed = 0, failed = 0;
    for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
        if ((only_len && strncmp(t->name, only, only_len) != 0) ||
            (skip_len && strncmp(t->name, skip, skip_len) == 0)) {
            continue;
        }
        current = t->name;
        ktest_failed_now = 0;
        printf("RUN: %s\n", t->name); /* (a hung case is named by the runner's silence limit) */
        t->fn();
        if (ktest_failed_now) {
            failed++;
        } else {
            passed++;
            printf("PASS: %s\n", t->name);
        }
    }
    printf("KTEST DONE: %u passed, %u failed\n", passed, failed);
    rt_flush();
    KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_POWER_OFF);
    return 0;
}

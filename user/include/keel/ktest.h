/* SPDX-License-Identifier: MIT */
/*
 * The kernel test suite's framework. KTEST(name) registers a test in the "ktests" section; the
 * runner runs them in link order and prints one line each: "PASS: name" or "FAIL: name: where:
 * what". CHECK* record a failure and go on; REQUIRE* stop the test.
 */
#pragma once
#include <stdint.h>
#include <keel/rt.h>

struct ktest {
    const char *name;
    void (*fn)(void);
    unsigned deadline_s; /* the watchdog fails it after this long (0: the suite's default) */
};

#define KTEST(name) KTEST_DEADLINE(name, 0)
/* A case that takes seconds by design (stress, many rounds): its own watchdog deadline. */
#define KTEST_DEADLINE(name, seconds)                                                              \
    static void ktest_fn_##name(void);                                                             \
    static const struct ktest ktest_##name                                                         \
        __attribute__((section("ktests"), used, aligned(8))) = { #name, ktest_fn_##name,           \
                                                                 seconds };                        \
    static void ktest_fn_##name(void)

void ktest_fail(const char *file, int line, const char *what, int64_t a, int64_t b);
/* A long case says it still gets on: the watchdog counts its deadline from here. */
void ktest_progress(void);
extern int ktest_failed_now;

#define CHECK(c)                                                                             \
    do {                                                                                     \
        if (!(c)) {                                                                          \
            ktest_fail(__FILE__, __LINE__, #c, 0, 0);                                        \
        }                                                                                    \
    } while (0)
#define CHECK_EQ(a, b)                                                                       \
    do {                                                                                     \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                        \
        if (a_ != b_) {                                                                      \
            ktest_fail(__FILE__, __LINE__, #a " == " #b, a_, b_);                            \
        }                                                                                    \
    } while (0)
#define REQUIRE(c)                                                                           \
    do {                                                                                     \
        if (!(c)) {                                                                          \
            ktest_fail(__FILE__, __LINE__, #c, 0, 0);                                        \
            return;                                                                          \
        }                                                                                    \
    } while (0)
#define REQUIRE_EQ(a, b)                                                                     \
    do {                                                                                     \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                        \
        if (a_ != b_) {                                                                      \
            ktest_fail(__FILE__, __LINE__, #a " == " #b, a_, b_);                            \
            return;                                                                          \
        }                                                                                    \
    } while (0)

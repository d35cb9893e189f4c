/* SPDX-License-Identifier: MIT */
/*
 * A minimal host unit-test harness: CHECK* macros count and report failures with their location;
 * unit_done() prints one summary line and gives the exit status for ctest.
 */
#pragma once
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned unit_checks, unit_failures;

static inline void unit_fail(const char *file, int line, const char *what)
{
    unit_failures++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
}

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        unit_checks++;                                                                     \
        if (!(cond)) {                                                                     \
            unit_fail(__FILE__, __LINE__, #cond);                                          \
        }                                                                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                                     \
    do {                                                                                   \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                   \
        unit_checks++;                                                                     \
        if (a_ != b_) {                                                                    \
            char m_[256];                                                                  \
            snprintf(m_, sizeof(m_), "%s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")", #a, #b, a_, b_); \
            unit_fail(__FILE__, __LINE__, m_);                                             \
        }                                                                                  \
    } while (0)

#define CHECK_STR(a, b)                                                                    \
    do {                                                                                   \
        const char *a_ = (a), *b_ = (b);                                                   \
        unit_checks++;                                                                     \
        if (strcmp(a_, b_) != 0) {                                                         \
            char m_[512];                                                                  \
            snprintf(m_, sizeof(m_), "%s == \"%s\" (got \"%s\")", #a, b_, a_);             \
            unit_fail(__FILE__, __LINE__, m_);                                             \
        }                                                                                  \
    } while (0)

static inline int unit_done(const char *name)
{
    printf("%s: %u checks, %u failed\n", name, unit_checks, unit_failures);
    return unit_failures ? 1 : 0;
}

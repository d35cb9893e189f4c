// SPDX-License-Identifier: MIT
// The real-time guest's statistics (vmm/guests/rt/rt_stats.c) on the host: the sort against
// sorted order, and the nearest-rank percentiles at the sizes the guest uses and at the edges.
#include "unit.h"
#include "rt_stats.h"
#include <stdint.h>

static uint64_t a[2000];

/* A fixed permutation of 1..n (multiplication by a number prime to n), so the test repeats. */
static void permutation(unsigned n, unsigned step)
{
    for (unsigned i = 0; i < n; i++) {
        a[i] = (uint64_t)(i * step % n) + 1;
    }
}

static int sorted(unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        if (a[i - 1] > a[i]) {
            return 0;
        }
    }
    return 1;
}

int main(void)
{
    permutation(2000, 7);
    struct rt_stats s = rt_stats_of(a, 2000);
    CHECK(sorted(2000));
    CHECK_EQ(s.min, 1);
    CHECK_EQ(s.p50, 1000); /* rank 1000 of 2000 */
    CHECK_EQ(s.p99, 1980); /* rank 1980: 99 % of the samples are at most this */
    CHECK_EQ(s.max, 2000);

    permutation(500, 3);
    s = rt_stats_of(a, 500);
    CHECK(sorted(500));
    CHECK_EQ(s.p50, 250);
    CHECK_EQ(s.p99, 495);

    permutation(101, 10); /* 99 % of 101 is 99.99: rank 100 */
    s = rt_stats_of(a, 101);
    CHECK_EQ(s.p99, 100);
    CHECK_EQ(s.p50, 51);

    a[0] = 42; /* one sample: every statistic is it */
    s = rt_stats_of(a, 1);
    CHECK_EQ(s.min, 42);
    CHECK_EQ(s.p50, 42);
    CHECK_EQ(s.p99, 42);
    CHECK_EQ(s.max, 42);

    for (unsigned i = 0; i < 1000; i++) { /* duplicates and the full range of the type */
        a[i] = i % 3 == 0 ? UINT64_MAX : i % 3;
    }
    s = rt_stats_of(a, 1000);
    CHECK(sorted(1000));
    CHECK_EQ(s.min, 1);
    CHECK_EQ(s.p50, 2);
    CHECK_EQ(s.max, UINT64_MAX);
    return unit_done("test_rt_stats");
}

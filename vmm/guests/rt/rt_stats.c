// SPDX-License-Identifier: MIT
// Order statistics of the real-time guest's samples: sorted, then read at their ranks.
#include "rt_stats.h"

/* Moves a[i] down the max-heap a[0..n) to where it belongs. */
static void sift_down(uint64_t *a, unsigned i, unsigned n)
{
    uint64_t v = a[i];
    for (unsigned child; (child = 2 * i + 1) < n; i = child) {
        if (child + 1 < n && a[child + 1] > a[child]) {
            child++;
        }
        if (a[child] <= v) {
            break;
        }
        a[i] = a[child];
    }
    a[i] = v;
}

void rt_stats_sort(uint64_t *a, unsigned n)
{
    for (unsigned i = n / 2; i-- > 0;) {
        sift_down(a, i, n);
    }
    for (unsigned end = n; end-- > 1;) {
        uint64_t top = a[0];
        a[0] = a[end];
        a[end] = top;
        sift_down(a, 0, end);
    }
}

/* The nearest rank of pct percent of n sorted samples (1-based rank ceil(n * pct / 100)). */
static uint64_t percentile(const uint64_t *sorted, unsigned n, unsigned pct)
{
    unsigned rank = (unsigned)(((uint64_t)n * pct + 99) / 100);
    return sorted[rank ? rank - 1 : 0];
}

struct rt_stats rt_stats_of(uint64_t *samples, unsigned n)
{
    rt_stats_sort(samples, n);
    return (struct rt_stats){ .min = samples[0],
                              .p50 = percentile(samples, n, 50),
                              .p99 = percentile(samples, n, 99),
                              .max = samples[n - 1] };
}

/* SPDX-License-Identifier: MIT */
/* Order statistics of the real-time guest's samples (rt_stats.c), exact: the samples are sorted. */
#pragma once
#include <stdint.h>

struct rt_stats {
    uint64_t min, p50, p99, max;
};

/* Sorts samples[0..n) in place (n > 0) and returns their minimum, median, 99th percentile and
 * maximum; a percentile is the nearest rank: the smallest sample that at least that share of the
 * samples does not exceed. */
struct rt_stats rt_stats_of(uint64_t *samples, unsigned n);

/* Sorts a[0..n) in ascending order (heapsort: no recursion, no extra memory). */
void rt_stats_sort(uint64_t *a, unsigned n);

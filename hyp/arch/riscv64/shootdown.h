/* SPDX-License-Identifier: MIT */
/* Invalidating translations on other harts (shootdown.c). */
#pragma once
#include <stdbool.h>
#include <keel/percpu.h>

/* Makes every CPU i with targets[i] drop all its translations (of tasks and guests), and waits
 * until each has. The caller holds the big lock and is not among the targets. */
void shootdown(const bool targets[KEEL_MAX_CPUS]);

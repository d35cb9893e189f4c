/* SPDX-License-Identifier: MIT */
/*
 * CPU partitions of the system device tree (cpus.c): which CPUs each program's Scheduler allows.
 *
 *   keel,cpus = <1 2>;       // the CPUs its threads may use (default: every CPU no other
 *                            // program holds exclusively)
 *   keel,cpus-exclusive;     // ... and no other program may use them (needs keel,cpus)
 *
 * The root task's own threads are not bound by it (they wait for faults and exits).
 */
#pragma once
#include <stdint.h>

/* Reads every program's exclusive CPUs and reports overlaps. Once, before any program starts. */
void cpus_setup(const void *fdt);

/* The program at `node` does not run (it could not start and will not be started again): its
 * exclusive CPUs are free for the others. */
void cpus_release(int node);

/* The CPU mask of the program at `node` (named `prog`): 0 after saying why it must not start (a
 * CPU that is not there, one another program holds exclusively, an exclusive claim that overlaps
 * an earlier one). */
uint64_t cpus_of(const void *fdt, int node, const char *prog);

/* SPDX-License-Identifier: MIT */
/* Links between programs: shared memory and doorbells (links.c, keel/progenv.h). */
#pragma once
#include <stdint.h>

struct keel_progenv;

/* Reads /links and the programs' keel,links, sets up every link joined by exactly two programs
 * (memory, two Irqs) and reports the others. Once, before any program starts. */
void links_setup(const void *fdt);

/* Gives the program at `node` (its task capability `task`, named `prog`) its links: memory, Irq
 * capabilities and env->links. Returns 0, or -1 after saying why it must not start. */
int links_give(const void *fdt, int node, const char *prog, uint64_t task,
               struct keel_progenv *env);

/* The program at `node` runs now (its links were given): the programs at the other ends see
 * its new epoch. */
void links_started(int node);

/* The program at `node` ended, or was never started after links_give(): its environment page is
 * forgotten, and the other ends see it gone. */
void links_ended(int node);

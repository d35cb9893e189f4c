/* SPDX-License-Identifier: MIT */
/* Board devices given to programs: MMIO window and Irq (devices.c, keel/progenv.h). */
#pragma once
#include <stdint.h>

struct keel_progenv;

/* Reads /devices and the programs' keel,devices, finds each device in the board's device tree
 * (the KIP's), binds its line to an Irq of the root task's and checks that one program at most
 * lists it. Once, before any program starts. */
void devices_setup(const void *fdt);

/* Gives the program at `node` (task capability `task`, named `prog`) its devices: the MMIO
 * window mapped (device memory), the Irq capability and env->devices. 0, or -1 after saying why
 * it must not start. */
int devices_give(const void *fdt, int node, const char *prog, uint64_t task,
                 struct keel_progenv *env);

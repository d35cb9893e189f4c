/* SPDX-License-Identifier: MIT */
/* A guest's console output, a line at a time on the VMM's console (guest_line.c). */
#pragma once
#include "../vm.h"

struct guest_line {
    char buf[128];
    unsigned used;
};

/* Adds c to the line; a newline (or a full line) prints it as "<vm name>| <line>". */
void guest_line_put(struct vm *vm, struct guest_line *l, char c);

/* A whole guest line went out: the first tells the system the guest runs (KEEL_PROTO_RUNNING). */
void guest_line_printed(void);

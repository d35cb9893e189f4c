/* SPDX-License-Identifier: MIT */
/* A guest's console output, a line at a time on the VMM's console (guest_line.c). */
#pragma once
#include "../vm.h"

struct guest_line {
    char buf[128];
    unsigned used;
    const char *tag; /* which of the VM's consoles, or NULL: "<vm name>:<tag>| <line>" */
};

/* Adds c to the line; a newline prints it as "<vm name>| <line>". A line longer than the buffer
 * is printed in pieces of sizeof(buf) - 1 characters: none is lost. Carriage returns are dropped. */
void guest_line_put(struct vm *vm, struct guest_line *l, char c);


// SPDX-License-Identifier: MIT
// A guest's console output, a line at a time (see guest_line.h): lines of several VMs that print
// at once stay whole, and each says whose it is.
#include "guest_line.h"
#include <keel/rt.h>

void guest_line_put(struct vm *vm, struct guest_line *l, char c)
{
    if (c == '\n' || l->used == sizeof(l->buf) - 1) {
        l->buf[l->used] = '\0';
        printf("%s| %s\n", vm->name, l->buf);
        l->used = 0;
    }
    if (c != '\n' && c != '\r') {
        l->buf[l->used++] = c;
    }
}

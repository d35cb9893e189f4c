// SPDX-License-Identifier: MIT
// A guest's console output, a line at a time (see guest_line.h): lines of several VMs that print
// at once stay whole, and each says whose it is.
#include "guest_line.h"
#include <keel/progenv.h>
#include <keel/rt.h>
#include <keel/sys.h>

void guest_line_printed(void)
{
    /* The guest's first line is the sign that it runs: the system may count from it
     * (keel,stop-clock = "running"). Once per VMM: a reset's lines are not a new start. */
    static unsigned told; /* (a word: riscv64 has no byte-wide atomic exchange) */
    if (!__atomic_exchange_n(&told, 1u, __ATOMIC_ACQ_REL)) {
        keel_call(KEEL_PROG_PARENT, keel_tag(KEEL_PROTO_RUNNING, 0, 0), KEEL_NEVER, 0);
    }
}

void guest_line_put(struct vm *vm, struct guest_line *l, char c)
{
    if (c == '\n' || l->used == sizeof(l->buf) - 1) {
        l->buf[l->used] = '\0';
        printf("%s| %s\n", vm->name, l->buf);
        l->used = 0;
        guest_line_printed();
    }
    if (c != '\n' && c != '\r') {
        l->buf[l->used++] = c;
    }
}

// SPDX-License-Identifier: MIT
// A guest's console output, a line at a time (see guest_line.h): lines of several VMs that print
// at once stay whole, and each says whose it is. Every console model (PL011, 16550, the SBI
// debug console, virtio-console) goes through here.
#include "guest_line.h"
#include <keel/progenv.h>
#include <keel/rt.h>
#include <keel/sys.h>

static void guest_line_printed(void)
{
    /* The guest's first line is the sign that it runs: the system may count from it
     * (keel,stop-clock = "running"). Once per VMM: a reset's lines are not a new start. */
    static unsigned told; /* (a word: riscv64 has no byte-wide atomic exchange) */
    if (!__atomic_exchange_n(&told, 1u, __ATOMIC_ACQ_REL)) {
        keel_call(KEEL_PROG_PARENT, keel_tag(KEEL_PROTO_RUNNING, 0, 0), KEEL_NEVER, 0);
    }
}

static void flush(struct vm *vm, struct guest_line *l)
{
    l->buf[l->used] = '\0';
    if (l->tag) {
        printf("%s:%s| %s\n", vm->name, l->tag, l->buf);
    } else {
        printf("%s| %s\n", vm->name, l->buf);
    }
    l->used = 0;
    guest_line_printed();
}

void guest_line_put(struct vm *vm, struct guest_line *l, char c)
{
    if (c == '\n') {
        flush(vm, l);
        return;
    }
    if (c == '\r') {
        return;
    }
    if (l->used == sizeof(l->buf) - 1) {
        flush(vm, l); /* a full line goes out first: c starts the next one */
    }
    l->buf[l->used++] = c;
}

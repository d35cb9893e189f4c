// SPDX-License-Identifier: MIT
/*
 * Host tests of the guests' console output a line at a time (vmm/dev/guest_line.c) and of the
 * PL011 (vmm/dev/uart_pl011.c), which prints through it: a line longer than the VMM's console
 * line (127 characters) goes out in pieces and loses nothing, a line of exactly 127 ended by CR
 * LF is one line, a tagged line (virtio-console's) says its tag. What the VMM prints is caught
 * from stdout.
 */
#define _POSIX_C_SOURCE 200809L /* dup, dup2, fileno: catching stdout */
#include "unit.h"
#include "capture.h"
#include "vm.h"
#include "dev/guest_line.h"
#include "dev/uart_pl011.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;

static struct vm vm;

void vm_irq_set(struct vm *v, unsigned intid, bool level)
{
    (void)v, (void)intid, (void)level;
}

/* A 200-character line through the PL011's data register: printed as a line of 127 and one of
 * 73, nothing lost; a line of exactly 127 ended by CR LF is one line, not one and an empty one. */
static void test_pl011_long_line(void)
{
    static struct mmio_device d;
    static char out[1024], want[1024];
    d.lock = &d.own;
    CHECK_EQ(uart_pl011_create(&d, &vm, 0), 0);
    char line[201];
    for (unsigned i = 0; i < 200; i++) {
        line[i] = (char)('!' + i % 90);
    }
    line[200] = '\0';
    capture_start();
    for (unsigned i = 0; i <= 200; i++) {
        uint64_t c = i < 200 ? (uint8_t)line[i] : '\n';
        CHECK(d.access(&d, 0, i % 2 ? 1 : 4, true, &c)); /* UARTDR, by word and by byte */
    }
    for (unsigned i = 0; i < 129; i++) {
        uint64_t c = i < 127 ? 'z' : i == 127 ? '\r' : '\n';
        CHECK(d.access(&d, 0, 4, true, &c));
    }
    capture_end(out, sizeof(out));
    char zs[128];
    memset(zs, 'z', 127);
    zs[127] = '\0';
    snprintf(want, sizeof(want), "t| %.127s\nt| %s\nt| %s\n", line, line + 127, zs);
    CHECK(strcmp(out, want) == 0);

    /* guest_line itself, as virtio-console uses it: tagged, the same pieces. */
    struct guest_line l = { .tag = "hvc" };
    capture_start();
    for (unsigned i = 0; i <= 200; i++) {
        guest_line_put(&vm, &l, i < 200 ? line[i] : '\n');
    }
    capture_end(out, sizeof(out));
    snprintf(want, sizeof(want), "t:hvc| %.127s\nt:hvc| %s\n", line, line + 127);
    CHECK(strcmp(out, want) == 0);
}

int main(void)
{
    vm.name = "t";
    test_pl011_long_line();
    return unit_done("test_vmm_console");
}

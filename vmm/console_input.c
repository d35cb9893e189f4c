// SPDX-License-Identifier: MIT
/*
 * Console input for a guest: a VMM thread reads Keel's console (Vcon) and passes the bytes to the
 * VM's UART, which raises its receive interrupt. The Vcon has no input interrupt, so the thread
 * looks every 10 ms (it sleeps in between: an idle console costs 100 short wake-ups a second).
 * One VM of a system takes the console: the one whose device tree's /chosen has
 * keel,console-input.
 */
#include "console_input.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <string.h>

#define POLL_US 10000
#define INPUT_UTCB (KEEL_ROOT_UTCB_ADDR + 10 * KEEL_PAGE_SIZE) /* after the vCPUs' (vcpu.h) */

static struct vm *input_vm;
static uint8_t stack[8192] __attribute__((aligned(16)));

static void input_thread(void)
{
    char pending[64];
    size_t have = 0;
    for (;;) {
        if (have < sizeof(pending)) {
            int64_t n = KOBJ(KEEL_ROOT_VCON, KEEL_VCON_READ, sizeof(pending) - have);
            if (n > 0) {
                memcpy(pending + have, keel_utcb()->mr, (size_t)n);
                have += (size_t)n;
            }
        }
        size_t taken = 0;
        if (have) {
            vm_lock(input_vm->console_lock);
            taken = input_vm->console_input(input_vm, pending, have);
            vm_unlock(input_vm->console_lock);
            memmove(pending, pending + taken, have - taken);
            have -= taken;
        }
        if (!taken) {
            keel_wait(POLL_US, 0); /* nobody sends to this thread: a sleep */
        }
    }
}

int64_t console_input_start(struct vm *vm)
{
    if (!vm->console_input) {
        printf("vmm: %s: keel,console-input but no UART to type into\n", vm->name);
        return -KEEL_ENOENT;
    }
    input_vm = vm;
    uint64_t thread = rt_cap_alloc();
    bool placed;
    int64_t r = vm_thread_create(thread, INPUT_UTCB);
    if (r == 0) {
        r = vm_thread_start(thread, input_thread, &stack[sizeof(stack)], (unsigned)rt_progenv()->cpu,
                            &placed);
    }
    return r;
}

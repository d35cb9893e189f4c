// SPDX-License-Identifier: MIT
// printf over the Vcon kernel object, a line at a time. One line buffer per program, so threads
// take turns (a VMM's vCPU and I/O threads print): a small lock whose waiter sleeps after a while,
// since the holder may be a lower-priority thread on the same CPU.
#include <keel/rt.h>
#include <keel/sys.h>
#include <stdbool.h>
#include <format.h>
#include <string.h>

uint64_t rt_vcon_cap = KEEL_ROOT_VCON;

static char line[(KEEL_MR_COUNT - 2) * 8];
static size_t used;
static int busy;

static void lock(void)
{
    for (unsigned spins = 0; __atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE); spins++) {
        if (spins > 1000) {
            keel_wait(50, 0); /* nobody sends to us: a short sleep */
            spins = 0;
        }
    }
}

static void unlock(void)
{
    __atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}

/* A line the kernel's console buffer had no room for (the UART is behind: Vcon WRITE's MR1
 * grew) is written again a millisecond later, for at most a fifth of a second: waiting is ours
 * to do, not the kernel's. One over the rate stays dropped. */
static void flush_locked(void)
{
    static uint64_t full_before;
    for (unsigned tries = 0; used && tries < 200; tries++) {
        struct keel_utcb *u = keel_utcb();
        u->mr[0] = KEEL_VCON_WRITE;
        u->mr[1] = used;
        memcpy(&u->mr[2], line, used);
        uint64_t tag = keel_call(rt_vcon_cap,
                                 keel_tag(KEEL_PROTO_KOBJ, 2 + (unsigned)((used + 7) / 8), 0),
                                 KEEL_NEVER, 0);
        bool full = !keel_tag_is_error(tag) && keel_tag_label(tag) == 0 && u->mr[1] > full_before;
        full_before = keel_tag_is_error(tag) ? full_before : u->mr[1];
        if (!full) {
            break;
        }
        keel_wait(1000, 0);
    }
    used = 0;
}

static void put(void *ctx, char c)
{
    (void)ctx;
    line[used++] = c;
    if (c == '\n' || used == sizeof(line)) {
        flush_locked();
    }
}

void rt_flush(void)
{
    lock();
    flush_locked();
    unlock();
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lock();
    size_t n = format(put, NULL, fmt, ap);
    unlock();
    va_end(ap);
    return (int)n;
}

// SPDX-License-Identifier: MIT
// printf over the Vcon kernel object, a line at a time.
#include <keel/rt.h>
#include <keel/sys.h>
#include <format.h>
#include <string.h>

uint64_t rt_vcon_cap = KEEL_ROOT_VCON;

static char line[(KEEL_MR_COUNT - 2) * 8];
static size_t used;

void rt_flush(void)
{
    if (!used) {
        return;
    }
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = KEEL_VCON_WRITE;
    u->mr[1] = used;
    memcpy(&u->mr[2], line, used);
    keel_call(rt_vcon_cap, keel_tag(KEEL_PROTO_KOBJ, 2 + (unsigned)((used + 7) / 8), 0), KEEL_NEVER, 0);
    used = 0;
}

static void put(void *ctx, char c)
{
    (void)ctx;
    line[used++] = c;
    if (c == '\n' || used == sizeof(line)) {
        rt_flush();
    }
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = format(put, NULL, fmt, ap);
    va_end(ap);
    return (int)n;
}

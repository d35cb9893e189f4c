// SPDX-License-Identifier: MIT
// Console selection from the boot device tree, or as the architecture says (see keel/console.h).
#include <keel/console.h>
#include <keel/phys.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>
#include <arch/mmu.h>
#include <arch/cpu.h>

extern const struct console_driver uart_pl011_driver;
extern const struct console_driver uart_ns16550_driver;

static const struct console_driver *const drivers[] = {
    &uart_pl011_driver,
    &uart_ns16550_driver,
};

static const struct console_driver *active;
static uintptr_t active_base;

static const struct console_driver *driver_for(const void *fdt, int node)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        if (fdt_node_check_compatible(fdt, node, drivers[i]->compatible) == 0) {
            return drivers[i];
        }
    }
    return NULL;
}

/* The node /chosen/stdout-path names ("path[:options]" or an alias), or -1. */
static int stdout_node(const void *fdt)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0) {
        return -1;
    }
    int len;
    const char *path = fdt_getprop(fdt, chosen, "stdout-path", &len);
    if (!path || len <= 0) {
        return -1;
    }
    const char *colon = memchr(path, ':', (size_t)len);
    int namelen = colon ? (int)(colon - path) : (int)strnlen(path, (size_t)len);
    return fdt_path_offset_namelen(fdt, path, namelen);
}

static bool use(const void *fdt, int node)
{
    const struct console_driver *drv = node >= 0 ? driver_for(fdt, node) : NULL;
    uint64_t base, size;
    if (!drv || !fdt_util_reg(fdt, node, 0, &base, &size)) {
        return false;
    }
    /* The kernel's own: no program may map its pages (the root task cannot hand it out). */
    uint64_t first = base & ~0xfffull, end = (base + (size ? size : 1) + 0xfff) & ~0xfffull;
    phys_reserve(pa_init(first), end - first);
    console_use(drv, (uintptr_t)kva_from_pa(pa_init(base)));
    return true;
}

void console_use(const struct console_driver *drv, uintptr_t base)
{
    active = drv;
    active_base = base;
    drv->init(base);
}

bool console_init(const void *fdt)
{
    if (use(fdt, stdout_node(fdt))) {
        return true;
    }
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        int node = fdt_node_offset_by_compatible(fdt, -1, drivers[i]->compatible);
        if (use(fdt, node)) {
            return true;
        }
    }
    return false;
}

#define OUT_SIZE 8192u           /* a power of two */
#define OUT_KERNEL_RESERVE 1024u /* what a task's writes leave for the kernel's messages */
#define LOCK_SPINS 10000000u     /* far more than a holder takes (a copy of at most 1 KiB) */
static char out[OUT_SIZE];
static uint32_t out_head, out_tail; /* free-running: the next to fill, the next to send */
static uint32_t out_lock;           /* printk may come from any CPU, with or without the big lock */

/* The lock, or false after LOCK_SPINS: its holder is this CPU, interrupted where nothing
 * masks (an x86 NMI or machine check, a fault inside the lock): the caller then writes to the
 * UART directly, past the buffer, rather than wait for ever. */
static bool lock(void)
{
    for (unsigned i = 0; __atomic_exchange_n(&out_lock, 1, __ATOMIC_ACQUIRE); i++) {
        if (i == LOCK_SPINS) {
            return false;
        }
        arch_cpu_relax();
    }
    return true;
}

static bool try_lock(void)
{
    return !__atomic_exchange_n(&out_lock, 1, __ATOMIC_ACQUIRE);
}

static void unlock(void)
{
    __atomic_store_n(&out_lock, 0, __ATOMIC_RELEASE);
}

static uint32_t out_used(void)
{
    return out_head - out_tail;
}

/* Waits (bounded) until the UART takes a character; how many it takes then (at least 1). */
static unsigned wait_room(void)
{
    unsigned room = 0;
    for (unsigned i = 0; i < LOCK_SPINS && !(room = active->tx_room(active_base)); i++) {
    }
    return room ? room : 1; /* (a UART that never says so: write anyway, as before) */
}

/* Sends what the UART takes now; with wait, all of it. Locked. */
static void send(bool wait)
{
    while (out_used()) {
        unsigned room = active->tx_room(active_base);
        if (!room && !wait) {
            return;
        }
        for (room = room ? room : wait_room(); room && out_used(); room--) {
            active->tx(active_base, out[out_tail++ % OUT_SIZE]);
        }
    }
}

static void put(char c)
{
    if (c == '\n') {
        out[out_head++ % OUT_SIZE] = '\r';
    }
    out[out_head++ % OUT_SIZE] = c;
}

void console_putc(char c)
{
    if (!active) {
        return;
    }
    if (!lock()) { /* (see lock()) */
        if (c == '\n') {
            wait_room();
            active->tx(active_base, '\r');
        }
        wait_room();
        active->tx(active_base, c);
        return;
    }
    while (OUT_SIZE - out_used() < 2) { /* full: the kernel's message waits for room */
        for (unsigned room = wait_room(); room && out_used(); room--) {
            active->tx(active_base, out[out_tail++ % OUT_SIZE]);
        }
    }
    put(c);
    send(false);
    unlock();
}

bool console_write(const char *bytes, uint64_t n)
{
    if (!active) {
        return true; /* nowhere to say it: as good as said */
    }
    uint64_t need = n;
    for (uint64_t i = 0; i < n; i++) {
        need += bytes[i] == '\n';
    }
    if (!lock()) {
        return false;
    }
    bool fits = need + OUT_KERNEL_RESERVE <= OUT_SIZE - out_used();
    for (uint64_t i = 0; fits && i < n; i++) {
        put(bytes[i]);
    }
    send(false);
    unlock();
    return fits;
}

bool console_pending(void)
{
    return active && __atomic_load_n(&out_head, __ATOMIC_RELAXED) !=
                         __atomic_load_n(&out_tail, __ATOMIC_RELAXED);
}

bool console_poll(void)
{
    if (!console_pending()) {
        return false; /* the common case, without the lock: the idle loop's and every tick's */
    }
    if (!try_lock()) {
        return active != NULL; /* (another CPU is sending: look again in a moment) */
    }
    send(false);
    bool left = out_used() != 0;
    unlock();
    return left;
}

void console_flush(void)
{
    if (!active || !lock()) {
        return;
    }
    send(true);
    /* ... and out of the UART's FIFO and shift register: a power-off comes next. */
    for (unsigned i = 0; i < LOCK_SPINS && !active->tx_idle(active_base); i++) {
    }
    unlock();
}

int console_getc(void)
{
    return active ? active->getc(active_base) : -1;
}

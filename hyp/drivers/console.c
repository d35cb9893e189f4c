// SPDX-License-Identifier: MIT
// Console selection from the boot device tree, or as the architecture says (see keel/console.h).
#include <keel/console.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>
#include <arch/mmu.h>

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
    uint64_t base;
    if (!drv || !fdt_util_reg(fdt, node, 0, &base, NULL)) {
        return false;
    }
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

void console_putc(char c)
{
    if (!active) {
        return;
    }
    if (c == '\n') {
        active->putc(active_base, '\r');
    }
    active->putc(active_base, c);
}

int console_getc(void)
{
    return active ? active->getc(active_base) : -1;
}

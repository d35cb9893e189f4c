// SPDX-License-Identifier: MIT
/*
 * Board devices given to one program each: a device's MMIO window and its interrupt, for a
 * driver or a VMM that passes the device through to its guest.
 *
 *   devices {
 *       rtc: rtc { keel,board-compatible = "arm,pl031"; };   // the board tree's first such node
 *   };
 *   programs {
 *       vm1 { ...; keel,devices = <&rtc>; };
 *   };
 *
 * Only devices the system tree names are given, each to one program at most; the board's device
 * tree (the KIP's) says where the device is: its first reg (page-aligned, at most
 * KEEL_PROG_DEVICE_STRIDE) and its first interrupt (a GIC SPI; level-high or edge-rising from its
 * flags). Before any program starts, devices_setup() binds the line (Icu BIND) to an Irq of the
 * root task's own, kept across the program's restarts; devices_give() maps the window at
 * KEEL_PROG_DEVICE_VA(i) (device memory: the kernel maps what is not RAM uncached), gives the Irq
 * with rights R and W (ATTACH, UNMASK, DIRECT) at KEEL_PROG_DEVICE_IRQ(i) and fills
 * env->devices (keel/progenv.h). The program does not get the Icu: it cannot bind another line.
 * A program that lists a device which could not be set up is not started; the others are.
 */
#include "devices.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

#define MAX_DEVICES 8

struct device {
    const char *name;
    uint32_t phandle;
    uint64_t pa, size; /* the MMIO window (whole pages), 0: not set up */
    unsigned line;     /* the Icu's line */
    uint64_t irq;      /* the Irq bound to it, in the root task */
    int node;          /* the program that lists it */
    unsigned users;
};

static struct device devices[MAX_DEVICES];
static unsigned device_count;

static struct device *find(uint32_t phandle)
{
    for (unsigned i = 0; phandle && i < device_count; i++) {
        if (devices[i].phandle == phandle) {
            return &devices[i];
        }
    }
    return NULL;
}

/* Why device d (its system-tree node sys) cannot be set up, or NULL when it can. */
static const char *set_up(struct device *d, const void *fdt, int sys)
{
    const char *compat = fdt_getprop(fdt, sys, "keel,board-compatible", NULL);
    const void *board = (const void *)(uintptr_t)rt_kip()->fdt_base;
    if (!compat) {
        return "no keel,board-compatible";
    }
    if (d->users > 1) {
        return "a device is given to one program";
    }
    int node = fdt_check_header(board) == 0 ? fdt_node_offset_by_compatible(board, -1, compat) : -1;
    uint64_t base, size;
    int len;
    const fdt32_t *irq = node >= 0 ? fdt_getprop(board, node, "interrupts", &len) : NULL;
    if (node < 0 || !fdt_util_reg(board, node, 0, &base, &size)) {
        return "not on this board";
    }
    size = (size + KEEL_PAGE_SIZE - 1) & ~(KEEL_PAGE_SIZE - 1);
    if ((base & (KEEL_PAGE_SIZE - 1)) || size == 0 || size > KEEL_PROG_DEVICE_STRIDE) {
        return "its window is not whole pages of at most 1 MiB";
    }
    if (!irq || len < 12 || fdt32_to_cpu(irq[0]) != 0) {
        return "no interrupt the Icu binds (a GIC SPI)";
    }
    d->line = 32 + fdt32_to_cpu(irq[1]);
    unsigned mode = (fdt32_to_cpu(irq[2]) & 0xf) == 1 ? KEEL_IRQ_MODE_EDGE_RISING
                                                      : KEEL_IRQ_MODE_LEVEL_HIGH;
    d->irq = rt_cap_alloc();
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, d->irq);
    if (r == 0) {
        r = KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, d->irq, d->line, mode);
    }
    if (r != 0) {
        return r == -KEEL_EBUSY ? "its line is bound already" : "no Irq for its line";
    }
    for (uint64_t off = 0; off < size; off += KEEL_PAGE_SIZE) {
        (void)*(volatile const uint32_t *)(uintptr_t)(base + off); /* ours by sigma0 once touched */
    }
    d->pa = base;
    d->size = size;
    return NULL;
}

void devices_setup(const void *fdt)
{
    int parent = fdt_path_offset(fdt, "/devices");
    int node;
    if (parent < 0) {
        return;
    }
    fdt_for_each_subnode(node, fdt, parent)
    {
        if (device_count == MAX_DEVICES) {
            printf("root: more than %d devices; the rest are not set up\n", MAX_DEVICES);
            break;
        }
        struct device *d = &devices[device_count++];
        d->name = fdt_get_name(fdt, node, NULL);
        d->phandle = fdt_get_phandle(fdt, node);
        d->node = -1;
    }
    int programs = fdt_path_offset(fdt, "/programs");
    if (programs >= 0) {
        fdt_for_each_subnode(node, fdt, programs)
        {
            int len = 0;
            const fdt32_t *ph = fdt_getprop(fdt, node, "keel,devices", &len);
            for (int i = 0; ph && i < len / 4; i++) {
                struct device *d = find(fdt32_to_cpu(ph[i]));
                if (d && d->users++ == 0) {
                    d->node = node;
                }
            }
        }
    }
    unsigned i = 0;
    fdt_for_each_subnode(node, fdt, parent)
    {
        if (i == device_count) {
            break;
        }
        struct device *d = &devices[i++];
        const char *why = set_up(d, fdt, node);
        if (why) {
            printf("root: device %s: not set up (%s)\n", d->name, why);
        } else {
            printf("root: device %s: 0x%lx, %lu KiB, line %u\n", d->name, (unsigned long)d->pa,
                   (unsigned long)(d->size >> 10), d->line);
        }
    }
}

int devices_give(const void *fdt, int node, const char *prog, uint64_t task,
                 struct keel_progenv *env)
{
    int len = 0;
    const fdt32_t *ph = fdt_getprop(fdt, node, "keel,devices", &len);
    if (ph && len / 4 > KEEL_PROG_MAX_DEVICES) {
        printf("root: %s: more than %d keel,devices; not started\n", prog, KEEL_PROG_MAX_DEVICES);
        return -1;
    }
    for (unsigned i = 0; ph && i < (unsigned)len / 4; i++) {
        struct device *d = find(fdt32_to_cpu(ph[i]));
        if (!d || !d->pa || d->node != node) {
            printf("root: %s: keel,devices names %s, which is not set up for it; not started\n",
                   prog, d ? d->name : "no node under /devices");
            return -1;
        }
        struct keel_prog_device *pd = &env->devices[i];
        strncpy(pd->name, d->name, sizeof(pd->name) - 1);
        pd->va = KEEL_PROG_DEVICE_VA(i);
        pd->pa = d->pa;
        pd->size = d->size;
        pd->irq = KEEL_PROG_DEVICE_IRQ(i);
        pd->line = d->line;
        int64_t r = 0;
        for (uint64_t off = 0; r == 0 && off < d->size; off += KEEL_PAGE_SIZE) {
            r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                     keel_fpage_mem(d->pa + off, 12, KEEL_FP_RW), pd->va + off);
        }
        if (r == 0) {
            r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                     keel_fpage_cap(d->irq, 0, KEEL_CAP_R | KEEL_CAP_W), pd->irq);
        }
        if (r != 0) {
            printf("root: %s: cannot give it device %s (%s); not started\n", prog, d->name,
                   keel_strerror(r));
            return -1;
        }
        env->device_count = i + 1;
    }
    return 0;
}

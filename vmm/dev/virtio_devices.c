// SPDX-License-Identifier: MIT
/*
 * The VM's virtio-mmio devices (the models are virtio/'s): each "virtio,mmio" node of the VM
 * device tree names its model and backend with keel-specific properties:
 *   keel,device = "blk" | "rng" | "console" | "net";
 *   blk:  keel,disk = "<boot module>"; keel,writable (the guest's writes go to a private copy;
 *         without it the disk is read-only);
 *   net:  keel,link = "<link of the system tree>"; local-mac-address = [02 00 00 00 00 01];
 * The interrupt is an edge (interrupts = <0 n 1> on the GIC), one per used-buffer notification.
 */
#include "virtio_devices.h"
#include "../net_link.h"
#include <virtio/blk.h>
#include <virtio/console.h>
#include <virtio/net.h>
#include <virtio/rng.h>
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <libfdt.h>
#include <string.h>

#define MAX_VIRTIO 32 /* QEMU's virt board has 32 virtio-mmio transports */

struct vdev {
    struct vm *vm;
    struct vm_lock
        lock; /* its window's accesses and the link's deliveries (independent of others) */
    unsigned irq;
    const char *name;
    struct virtio_host host;
    union {
        struct virtio_mmio mmio; /* each model starts with it */
        struct virtio_blk blk;
        struct virtio_rng rng;
        struct virtio_console console;
        struct virtio_net net;
    } u;
    struct net_link *link;
    char line[128]; /* console output, a line at a time */
    unsigned used;
    uint64_t rng_state;
};

static struct vdev vdevs[MAX_VIRTIO];
static unsigned vdev_count;

static void *gpa_ptr(void *ctx, uint64_t gpa, uint64_t size)
{
    return guest_mem_ptr(((struct vdev *)ctx)->vm, gpa_init(gpa), size);
}

static void notify_irq(void *ctx)
{
    struct vdev *d = ctx;
    vm_irq_set(d->vm, d->irq, true); /* an edge: up and down */
    vm_irq_set(d->vm, d->irq, false);
}

static void log_line(void *ctx, const char *msg)
{
    struct vdev *d = ctx;
    printf("vmm: %s: %s: %s\n", d->vm->name, d->name, msg);
}

static bool access(struct mmio_device *m, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    return virtio_mmio_access(&((struct vdev *)m->state)->u.mmio, off, width, write, v);
}

/* rng: xoshiro-style mixing of the counter, reseeded from it on every request. Keel has no
 * entropy source of its own yet (docs/vmm.md): good enough to seed a test guest, not keys. */
static void rng_fill(void *ctx, void *buf, size_t n)
{
    struct vdev *d = ctx;
    uint8_t *p = buf;
    d->rng_state ^= keel_cycles();
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (d->rng_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        p[i] = (uint8_t)(z ^ (z >> 31));
    }
}

static void console_write(void *ctx, const char *buf, size_t n)
{
    struct vdev *d = ctx;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || d->used == sizeof(d->line) - 1) {
            d->line[d->used] = '\0';
            printf("%s:hvc| %s\n", d->vm->name, d->line);
            d->used = 0;
        } else if (buf[i] != '\r') {
            d->line[d->used++] = buf[i];
        }
    }
}

static void net_tx(void *ctx, const void *frame, size_t len)
{
    struct vdev *d = ctx;
    net_link_send(d->link, frame, len);
}

static void net_rx_ready(void *ctx)
{
    net_link_poke(((struct vdev *)ctx)->link);
}

/* A frame from the peer; false keeps it queued until the guest gives buffers. One the guest could
 * never take (too long) is dropped, or it would block the link for good. */
static bool net_deliver(void *ctx, const void *frame, size_t len)
{
    struct vdev *d = ctx;
    if (len > VIRTIO_NET_MAX_FRAME) {
        d->u.net.rx_dropped++;
        return true;
    }
    return virtio_net_rx(&d->u.net, frame, len);
}

static int create_blk(struct vdev *d, const void *fdt, int node)
{
    const char *disk = fdt_getprop(fdt, node, "keel,disk", NULL);
    uint64_t size = 0;
    const void *data = disk ? vm_boot_module(disk, &size) : NULL;
    if (!data) {
        printf("vmm: %s: virtio-blk: no disk \"%s\" among the boot modules\n", d->vm->name,
               disk ? disk : "(keel,disk missing)");
        return -1;
    }
    bool writable = fdt_getprop(fdt, node, "keel,writable", NULL) != NULL;
    if (writable) {
        void *copy = vm_heap_alloc(d->vm, size);
        if (!copy) {
            printf("vmm: %s: virtio-blk: no memory for a writable copy of \"%s\" (%lu bytes)\n",
                   d->vm->name, disk, (unsigned long)size);
            return -1;
        }
        memcpy(copy, data, size);
        data = copy;
    }
    struct virtio_blk_backend b = { .data = (uint8_t *)(uintptr_t)data, .size = size,
                                    .read_only = !writable, .id = disk };
    virtio_blk_init(&d->u.blk, &d->host, &b);
    return 0;
}

static int create_net(struct vdev *d, const void *fdt, int node)
{
    static const uint8_t default_mac[6] = { 0x02, 0x4b, 0x45, 0x45, 0x4c, 0x01 };
    const char *link = fdt_getprop(fdt, node, "keel,link", NULL);
    int len;
    const uint8_t *mac = fdt_getprop(fdt, node, "local-mac-address", &len);
    struct virtio_net_backend b = { .ctx = d, .tx = net_tx, .rx_ready = net_rx_ready };
    memcpy(b.mac, mac && len == 6 ? mac : default_mac, 6);
    if (!link) {
        printf("vmm: %s: virtio-net needs keel,link\n", d->vm->name);
        return -1;
    }
    /* The link's thread may deliver a frame at once: not before the device is made. */
    vm_lock(&d->lock);
    d->link = net_link_open(d->vm, link, net_deliver, d, &d->lock);
    if (d->link) {
        virtio_net_init(&d->u.net, &d->host, &b);
    }
    vm_unlock(&d->lock);
    return d->link ? 0 : -1;
}

int virtio_device_create(struct vm *vm, const void *fdt, int node, gpa_t base, unsigned irq)
{
    const char *kind = fdt_getprop(fdt, node, "keel,device", NULL);
    if (vdev_count == MAX_VIRTIO || !kind) {
        printf("vmm: %s: %s\n", vm->name, kind ? "too many virtio devices" : "a virtio,mmio node without keel,device");
        return -1;
    }
    struct vdev *d = &vdevs[vdev_count];
    memset(d, 0, sizeof(*d));
    d->vm = vm;
    d->irq = irq;
    d->name = fdt_get_name(fdt, node, NULL); /* in the VM device tree, which stays */
    d->host = (struct virtio_host){ .ctx = d, .gpa_ptr = gpa_ptr, .notify_irq = notify_irq, .log = log_line };
    int r = 0;
    if (strcmp(kind, "blk") == 0) {
        r = create_blk(d, fdt, node);
    } else if (strcmp(kind, "rng") == 0) {
        struct virtio_rng_backend b = { .ctx = d, .fill = rng_fill };
        d->rng_state = keel_cycles() ^ (uint64_t)(uintptr_t)vm->name[0] << 56;
        virtio_rng_init(&d->u.rng, &d->host, &b);
    } else if (strcmp(kind, "console") == 0) {
        struct virtio_console_backend b = { .ctx = d, .write = console_write };
        virtio_console_init(&d->u.console, &d->host, &b);
    } else if (strcmp(kind, "net") == 0) {
        r = create_net(d, fdt, node);
    } else {
        printf("vmm: %s: unknown virtio device \"%s\"\n", vm->name, kind);
        return -1;
    }
    struct mmio_device *m = r == 0 ? vm_device_add(vm, kind, base, VIRTIO_MMIO_WINDOW) : NULL;
    if (!m) {
        if (r == 0) {
            printf("vmm: %s: too many devices\n", vm->name);
        }
        return -1;
    }
    m->state = d;
    m->access = access;
    m->lock = &d->lock;
    vdev_count++;
    return 0;
}

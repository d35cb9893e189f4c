// SPDX-License-Identifier: MIT
/*
 * The VM's virtio devices (the models are virtio/'s): each "virtio,mmio" node of the VM device
 * tree, and each child of its PCI host bridge with keel,device (pci_bus.c), names its model and
 * backend with keel-specific properties:
 *   keel,device = "blk" | "rng" | "console" | "net";
 *   blk:  keel,disk = "<boot module>"; keel,writable (the guest's writes go to a private copy;
 *         without it the disk is read-only); or keel,link = "<link of the system tree>": a slice
 *         of the board's disk served by the block driver program (blk_link.c, docs/devices.md);
 *         keel,test-exit-after-requests = <n> (tests only: blk_link_test_exit_after());
 *   net:  keel,link = "<link of the system tree>" (without it: a NIC with no carrier, what the
 *         guest sends is dropped); local-mac-address = [02 00 00 00 00 01]; keel,net-switch: the
 *         link goes to the switch (user/netsw), whose header gives the MAC address (any
 *         local-mac-address must be the same);
 * virtio-mmio: the interrupt is an edge (interrupts = <0 n 1> on the GIC), one per notification.
 * virtio-pci: the structures in BAR 4 (64-bit), MSI-X (a vector per queue and one for
 * configuration changes) in BAR 1, INTx through the bridge's interrupt-map when MSI-X is off.
 */
#include "virtio_devices.h"
#include "pci_bus.h"
#include "guest_line.h"
#include "../entropy.h"
#include "../blk_link.h"
#include "../net_link.h"
#include "../platform.h"
#include <virtio/blk.h>
#include <virtio/console.h>
#include <virtio/mmio.h>
#include <virtio/net.h>
#include <virtio/pci.h>
#include <virtio/rng.h>
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <libfdt.h>
#include <string.h>

#define MAX_VIRTIO 32 /* QEMU's virt board has 32 virtio-mmio transports */
#define PCI_MSIX_BAR 1
#define PCI_VIRTIO_BAR 4

struct vdev {
    struct vm *vm;
    /* Its register accesses and the link's deliveries: its own lock (virtio-mmio: independent of
     * other devices), or the PCI bus's. */
    struct vm_lock *lock;
    struct vm_lock own;
    unsigned irq; /* virtio-mmio's edge, or the PCI function's INTx line */
    bool on_pci;
    const char *name;
    struct virtio_host host;
    union {
        struct virtio_device dev; /* each model starts with it */
        struct virtio_blk blk;
        struct virtio_rng rng;
        struct virtio_console console;
        struct virtio_net net;
    } u;
    struct virtio_mmio mmio; /* the transport: one of these two */
    struct virtio_pci pci;
    struct pci_function fn;
    struct net_link *link;
    struct guest_line line; /* console output, a line at a time */
    struct entropy rng;
};

static struct vdev vdevs[MAX_VIRTIO];
static unsigned vdev_count;

/* A PCI function reaches guest memory only while the guest lets it master the bus (command
 * register bit 2): without it, no DMA, as on hardware (drivers turn it off to stop a device). */
static bool dma_allowed(void *ctx)
{
    struct vdev *d = ctx;
    return !d->on_pci || (d->fn.command & PCI_COMMAND_BUS_MASTER);
}

static void *gpa_ptr(void *ctx, uint64_t gpa, uint64_t size)
{
    struct vdev *d = ctx;
    return dma_allowed(d) ? guest_mem_ptr(d->vm, gpa_init(gpa), size) : NULL;
}

static void notify_irq(void *ctx)
{
    struct vdev *d = ctx;
    vm_irq_set(d->vm, d->irq, true); /* an edge: up and down */
    vm_irq_set(d->vm, d->irq, false);
}

static bool notify_msix(void *ctx, uint16_t vector)
{
    return pci_msix_notify(&((struct vdev *)ctx)->fn, vector);
}

static void set_intx(void *ctx, bool level)
{
    pci_intx(&((struct vdev *)ctx)->fn, level);
}

static void log_line(void *ctx, const char *msg)
{
    struct vdev *d = ctx;
    printf("vmm: %s: %s: %s\n", d->vm->name, d->name, msg);
}

static bool access(struct mmio_device *m, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    return virtio_mmio_access(&((struct vdev *)m->state)->mmio, off, width, write, v);
}

/* rng: the VMM's generator (entropy.c: no hardware source behind it yet, docs/vmm.md). */
static void rng_fill(void *ctx, void *buf, size_t n)
{
    entropy_fill(&((struct vdev *)ctx)->rng, buf, n);
}

static void console_write(void *ctx, const char *buf, size_t n)
{
    struct vdev *d = ctx;
    for (size_t i = 0; i < n; i++) {
        guest_line_put(d->vm, &d->line, buf[i]);
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

/* The switch restarts (down) or is back (up): the guest's carrier (VIRTIO_NET_S_LINK_UP). */
static void net_link_state(void *ctx, bool up)
{
    virtio_net_set_link(&((struct vdev *)ctx)->u.net, up);
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
    const char *link = fdt_getprop(fdt, node, "keel,link", NULL);
    if (link) {
        /* The link's thread answers requests under d->lock, which the caller holds until the
         * device (and its transport) is made. */
        struct virtio_blk_backend b;
        struct blk_link *l = blk_link_open(d->vm, link, &d->u.blk, d->lock, &b);
        if (!l) {
            return -1;
        }
        int len = 0;
        const fdt32_t *n = fdt_getprop(fdt, node, "keel,test-exit-after-requests", &len);
        if (n && len == (int)sizeof(*n)) {
            blk_link_test_exit_after(l, fdt32_to_cpu(*n));
        }
        virtio_blk_init(&d->u.blk, &d->host, &b);
        return 0;
    }
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
    struct virtio_blk_backend b = {
        .data = (uint8_t *)(uintptr_t)data, .size = size, .read_only = !writable, .id = disk
    };
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
        /* A NIC cabled to nothing: the guest sees it with no carrier; what it sends is dropped. */
        printf("vmm: %s: %s: virtio-net without keel,link: a NIC with no carrier\n", d->vm->name,
               d->name);
        b.tx = NULL;
        b.rx_ready = NULL;
        virtio_net_init(&d->u.net, &d->host, &b);
        return 0;
    }
    /* The link's thread may deliver a frame at once: not before the device (and its transport,
     * attached by the caller under the same lock) is made. */
    bool to_switch = fdt_getprop(fdt, node, "keel,net-switch", NULL) != NULL;
    uint8_t from_switch[6];
    d->link = net_link_open(d->vm, link, to_switch, from_switch, net_deliver, net_link_state, d,
                            d->lock);
    if (d->link && to_switch) {
        /* The switch forwards only frames from the address it gave: the VMM does not choose. */
        if (mac && len == 6 && memcmp(mac, from_switch, 6) != 0) {
            printf("vmm: %s: %s: local-mac-address is not the switch's: the switch's is used\n",
                   d->vm->name, d->name);
        }
        memcpy(b.mac, from_switch, 6);
    }
    if (d->link) {
        virtio_net_init(&d->u.net, &d->host, &b);
        if (!net_link_up(d->link)) {
            virtio_net_set_link(&d->u.net, false); /* (the switch does not run yet) */
        }
    }
    return d->link ? 0 : -1;
}

/* The model the node's keel,device names, with its backend (a new vdev; NULL when it cannot). */
static struct vdev *model_create(struct vm *vm, const void *fdt, int node, struct vm_lock *lock)
{
    const char *kind = fdt_getprop(fdt, node, "keel,device", NULL);
    if (vdev_count == MAX_VIRTIO || !kind) {
        printf("vmm: %s: %s\n", vm->name,
               kind ? "too many virtio devices" : "a virtio,mmio node without keel,device");
        return NULL;
    }
    struct vdev *d = &vdevs[vdev_count];
    memset(d, 0, sizeof(*d));
    d->vm = vm;
    d->lock = lock ? lock : &d->own;
    d->name = fdt_get_name(fdt, node, NULL); /* in the VM device tree, which stays */
    d->host = (struct virtio_host){ .ctx = d,
                                    .gpa_ptr = gpa_ptr,
                                    .notify_irq = notify_irq,
                                    .notify_msix = notify_msix,
                                    .set_intx = set_intx,
                                    .dma_allowed = dma_allowed,
                                    .log = log_line };
    int r = 0;
    if (strcmp(kind, "blk") == 0) {
        r = create_blk(d, fdt, node);
    } else if (strcmp(kind, "rng") == 0) {
        struct virtio_rng_backend b = { .ctx = d, .fill = rng_fill };
        entropy_init(&d->rng, vm->name);
        virtio_rng_init(&d->u.rng, &d->host, &b);
    } else if (strcmp(kind, "console") == 0) {
        struct virtio_console_backend b = { .ctx = d, .write = console_write };
        d->line.tag = "hvc";
        virtio_console_init(&d->u.console, &d->host, &b);
    } else if (strcmp(kind, "net") == 0) {
        r = create_net(d, fdt, node);
    } else {
        printf("vmm: %s: unknown virtio device \"%s\"\n", vm->name, kind);
        return NULL;
    }
    if (r != 0) {
        return NULL;
    }
    vdev_count++;
    return d;
}

/* A reset of the VM: the device as the driver's write of 0 to its status leaves it. */
static void mmio_reset(struct mmio_device *m)
{
    virtio_status_write(&((struct vdev *)m->state)->u.dev, 0);
}

int virtio_device_create(struct vm *vm, const void *fdt, int node, gpa_t base, unsigned irq)
{
    const char *kind = fdt_getprop(fdt, node, "keel,device", NULL);
    struct mmio_device *m = vm_device_add(vm, kind ? kind : "virtio", base, VIRTIO_MMIO_WINDOW);
    if (!m) {
        printf("vmm: %s: too many devices\n", vm->name);
        return -1;
    }
    vm_lock(&m->own); /* a link may deliver as soon as it is open */
    struct vdev *d = model_create(vm, fdt, node, &m->own);
    if (d) {
        d->irq = irq;
        virtio_mmio_init(&d->mmio, &d->u.dev);
        m->state = d;
        m->access = access;
        m->reset = mmio_reset;
    }
    vm_unlock(&m->own);
    return d ? 0 : -1;
}

/* virtio-pci: the function's BARs (only the structures' BAR reaches here; MSI-X is the PCI
 * model's) and its capabilities. */
static bool pci_bar(struct pci_function *f, unsigned bar, uint64_t off, unsigned width, bool write,
                    uint64_t *v)
{
    struct vdev *d = f->ctx;
    return bar == PCI_VIRTIO_BAR && virtio_pci_bar_access(&d->pci, off, width, write, v);
}

static bool pci_cap(struct pci_function *f, unsigned off, unsigned width, bool write, uint64_t *v)
{
    return virtio_pci_cap_access(&((struct vdev *)f->ctx)->pci, off, width, write, v);
}

static void pci_msi(struct pci_function *f, uint64_t address, uint32_t data)
{
    struct vdev *d = f->ctx;
    if (!(f->command & PCI_COMMAND_BUS_MASTER)) {
        return; /* a message is a memory write: none without bus mastering */
    }
    pci_bus_of(d->vm)->msi_sent[f->slot]++;
    arch_msi_send(d->vm, address, data);
}

static void pci_intx_line(struct pci_function *f, bool level)
{
    pci_bus_intx_set(pci_bus_of(((struct vdev *)f->ctx)->vm), f->slot, level);
}

static void pci_reset(struct pci_function *f)
{
    virtio_status_write(&((struct vdev *)f->ctx)->u.dev, 0);
}

static const struct pci_function_ops pci_ops = {
    .reset = pci_reset,
    .bar_access = pci_bar,
    .cap_access = pci_cap,
    .msi_send = pci_msi,
    .intx_set = pci_intx_line,
};

int virtio_pci_device_create(struct vm *vm, const void *fdt, int node, struct pci_bus *bus,
                             unsigned slot)
{
    vm_lock(&bus->lock); /* a link may deliver as soon as it is open */
    struct vdev *d = model_create(vm, fdt, node, &bus->lock);
    bool ok = d != NULL;
    if (ok) {
        struct pci_function *f = &d->fn;
        unsigned vectors = d->u.dev.num_queues + 1;
        d->on_pci = true;
        d->irq = bus->intx[slot];
        pci_function_init(f, &pci_ops, d);
        f->vendor_id = f->subsystem_vendor_id = VIRTIO_PCI_VENDOR;
        f->device_id = virtio_pci_device_id(&d->u.dev);
        f->subsystem_id = 0x1100; /* QEMU's subsystem id for its virtio devices */
        f->revision = 1;          /* a modern-only device (virtio 1.2 §4.1.2.1) */
        uint32_t class = virtio_pci_class(&d->u.dev);
        f->class_code = (uint8_t)(class >> 16);
        f->subclass = (uint8_t)(class >> 8);
        f->prog_if = (uint8_t) class;
        f->interrupt_pin = 1;
        f->interrupt_line = (uint8_t)d->irq; /* what firmware leaves there for the OS */
        f->bar[PCI_MSIX_BAR] = (struct pci_bar){ .kind = PCI_BAR_MEM32, .size = PCI_MSIX_BAR_SIZE };
        f->bar[PCI_VIRTIO_BAR] = (struct pci_bar){ .kind = PCI_BAR_MEM64,
                                                   .prefetchable = true,
                                                   .size = VIRTIO_PCI_BAR_SIZE };
        f->caps_len = VIRTIO_PCI_CAPS_LEN;
        f->msix_vectors = vectors;
        f->msix_bar = PCI_MSIX_BAR;
        ok = virtio_pci_init(&d->pci, &d->u.dev, PCI_VIRTIO_BAR, PCI_CAPS_BASE,
                             pci_msix_cap_offset(f), vectors) &&
             pci_host_attach(&bus->host, slot, f);
        if (!ok) {
            printf("vmm: %s: %s: slot %u taken, or a device PCI cannot carry\n", vm->name, d->name,
                   slot);
        }
    }
    vm_unlock(&bus->lock);
    return ok ? 0 : -1;
}

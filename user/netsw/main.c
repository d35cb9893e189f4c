// SPDX-License-Identifier: MIT
/*
 * The network switch program (docs/devices.md, "The network switch"): one port per link
 * (keel,links: a VM's virtio-net back end at the other end, vmm/net_link.c) and, with a board
 * device (keel,devices: the board's virtio-net over virtio-mmio, its window, Irq and keel,dma),
 * one port for the board's NIC, the uplink. It forwards Ethernet frames by destination address
 * (netsw_route, virtio/netlink.c):
 *
 *   VM links ── ring VMM -> switch ──> copy (read once) ── netsw_route ──> VM links' rings
 *            <── ring switch -> VMM ──                                 ──> the board's NIC (tx)
 *   board NIC (rx) ──────────────────> copy ─────────────┘
 *
 * Each VM's address is its link's keel,mac in the system tree (system.dtb among its boot
 * modules); the switch writes it into the link's header, where the VMM takes it for its guest,
 * and forwards a VM's frame only when its source address is that one: a VM cannot send as
 * another (dropped, counted, said once a port). A link without a valid keel,mac is not served.
 *
 * Everything a VMM writes is read once and checked: its ring index (more pending than the ring
 * holds: the port is no longer served, said once), each frame's length, and the frame itself is
 * copied before it is looked at. Fairness: the ports are served round robin, at most BATCH frames
 * from one before the next, so a VM flooding its link delays the others by one batch at most; a
 * frame for a full ring is dropped (counted), never waited for.
 *
 * One thread: the links' doorbells and the device's interrupt all come to its open wait.
 *
 * Restarts (docs/devices.md, "Restarts"): a started switch clears each header's magic, bumps its
 * generation and sets the magic again once the port is ready; the VMMs take the link down
 * meanwhile and up again (vmm/net_link.c). Frames waiting for the switch are dropped. args
 * "exit-after <n>" (a test of restarts, vm/arm64-linux-switch-restart): in its first run
 * (generation 1), the switch exits (status 2) after taking the n-th frame from the VMs.
 */
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <keel/system_tree.h>
#include <keel/virtio_mmio_drv.h>
#include <virtio/netlink.h>
#include <virtio/uapi.h>
#include <libfdt.h>
#include <string.h>

#define BATCH 8         /* frames from one port before the next */
#define NIC_QUEUE 16    /* entries (and buffers) of each of the NIC's queues */
#define NIC_BUF 2048    /* one frame and its virtio-net header */
#define NIC_HDR 12      /* struct virtio_net_hdr_v1 (VERSION_1) */
#define DEV_LABEL 0x100 /* the device's Irq; a link's doorbell: its port number */
enum { RXQ = 0, TXQ = 1 };
/* DMA memory: the two queues, then the receive buffers, then the transmit buffers. */
#define DMA_RXQ 0
#define DMA_TXQ (VMMIO_QUEUE_PAGES * KEEL_PAGE_SIZE)
#define DMA_RXBUF (2 * VMMIO_QUEUE_PAGES * KEEL_PAGE_SIZE)
#define DMA_TXBUF (DMA_RXBUF + NIC_QUEUE * NIC_BUF)
#define DMA_SIZE (DMA_TXBUF + NIC_QUEUE * NIC_BUF)

struct port {
    const struct keel_prog_link *env; /* a VM's link; NULL for the board's NIC */
    volatile struct netlink_header *hdr;
    struct netlink_ring *in, *out; /* VMM -> switch, switch -> VMM */
    uint32_t slots;
    bool broken;                       /* its VMM broke the protocol: not served any more */
    bool served;                       /* set up and not broken (sw.port[].up: and its VMM runs) */
    uint64_t vmm_epoch;                /* its VMM's peer_epoch when last looked at */
    bool ring_peer;                    /* frames went to it this turn: ring its doorbell */
    uint64_t rx, tx, spoofed, dropped; /* frames taken, given, refused as spoofed, lost */
};

static const char *name;
static struct netsw sw;
static struct port ports[NETSW_MAX_PORTS];
static struct vmmio_dev dev;
static struct vmmio_queue rxq, txq;
static uint8_t *dma;
static uint64_t dma_pa;
static uint16_t tx_free[NIC_QUEUE]; /* transmit buffers not in the device's hands */
static unsigned tx_free_count;
static bool tx_notify;
static uint64_t exit_after, taken; /* (exit_after 0: never) */

static void port_broken(struct port *p, const char *why)
{
    printf("%s: port %s: %s: no longer served\n", name, p->env->name, why);
    p->broken = true;
    p->served = false;
    sw.port[p - ports].up = false;
}

/* A VM port whose VMM does not run (the root task's peer_epoch; it rings this side's doorbell
 * when the VMM ends or starts) is neither forwarded to nor read: its ring would fill for nobody.
 * Frames queued before the VMM's end stay for its next run (docs/devices.md, "Restarts"). An end
 * and a new start both before this looks are said as the new run. */
static void watch_vmms(void)
{
    for (unsigned i = 0; i < sw.count; i++) {
        struct port *p = &ports[i];
        if (!p->env || !p->served) {
            continue;
        }
        uint64_t epoch = __atomic_load_n(&p->env->peer_epoch, __ATOMIC_ACQUIRE);
        if (p->vmm_epoch && epoch != p->vmm_epoch) { /* (its first start is not said) */
            printf("%s: port %s: its VMM %s\n", name, p->env->name,
                   epoch & 1 ? "runs again: forwarded to" : "ended: not forwarded to");
        }
        p->vmm_epoch = epoch;
        sw.port[i].up = epoch & 1;
    }
}

/* Gives a frame to a VM's port: false (counted) when its ring is full. */
static void to_vm(struct port *p, const uint8_t *frame, uint32_t len)
{
    uint32_t head = p->out->head, n;
    if (!netlink_pending(head, __atomic_load_n(&p->out->tail, __ATOMIC_ACQUIRE), p->slots, &n)) {
        port_broken(p, "its receive index runs ahead of what was sent");
        return;
    }
    if (n == p->slots) {
        p->dropped++; /* (a VM that does not take its frames loses them; nobody waits) */
        return;
    }
    uint8_t *slot = p->out->slots + (size_t)(head % p->slots) * NETLINK_SLOT;
    memcpy(slot, &len, 4);
    memcpy(slot + NETLINK_SLOT_HDR, frame, len);
    __atomic_store_n(&p->out->head, head + 1, __ATOMIC_RELEASE);
    p->tx++;
    p->ring_peer = true;
}

/* Takes back the transmit buffers the device is done with. */
static void nic_tx_reclaim(void)
{
    uint32_t id, len;
    while (vmmio_used_next(&txq, &id, &len)) {
        if (id < NIC_QUEUE && tx_free_count < NIC_QUEUE) {
            tx_free[tx_free_count++] = (uint16_t)id;
        }
    }
}

static void to_nic(struct port *p, const uint8_t *frame, uint32_t len)
{
    if (tx_free_count == 0) {
        nic_tx_reclaim();
    }
    if (tx_free_count == 0) {
        p->dropped++;
        return;
    }
    uint16_t id = tx_free[--tx_free_count];
    uint8_t *buf = dma + DMA_TXBUF + (size_t)id * NIC_BUF;
    memset(buf, 0, NIC_HDR);
    memcpy(buf + NIC_HDR, frame, len);
    txq.desc[id] = (struct vring_desc){ dma_pa + DMA_TXBUF + (uint64_t)id * NIC_BUF, NIC_HDR + len,
                                        0, 0 };
    vmmio_post(&txq, id);
    p->tx++;
    tx_notify = true;
}

/* A frame (the switch's own copy) that came in on port src goes where netsw_route says. */
static void forward(unsigned src, const uint8_t *frame, uint32_t len)
{
    uint32_t to;
    struct port *in = &ports[src];
    enum netsw_verdict v = netsw_route(&sw, src, frame, len, &to);
    in->rx++;
    if (v == NETSW_DROP_SPOOF) {
        if (in->spoofed++ == 0) {
            printf("%s: port %s: a frame from %02x:%02x:%02x:%02x:%02x:%02x: %s: dropped (said "
                   "once; counted)\n",
                   name, in->env ? in->env->name : "uplink", frame[6], frame[7], frame[8], frame[9],
                   frame[10], frame[11], netsw_verdict_str(v));
        }
        return;
    }
    if (v != NETSW_FORWARD) {
        in->dropped++;
        return;
    }
    for (unsigned i = 0; i < sw.count; i++) {
        if (to & 1u << i) {
            if (ports[i].env) {
                to_vm(&ports[i], frame, len);
            } else {
                to_nic(&ports[i], frame, len);
            }
        }
    }
}

/* Takes at most BATCH frames from a VM's port; whether it took any. */
static bool serve_vm(unsigned i)
{
    static uint8_t frame[NETLINK_FRAME_MAX];
    struct port *p = &ports[i];
    uint32_t tail = p->in->tail, n;
    if (!netlink_pending(__atomic_load_n(&p->in->head, __ATOMIC_ACQUIRE), tail, p->slots, &n)) {
        port_broken(p, "its send index runs more than a ring ahead");
        return false;
    }
    n = n < BATCH ? n : BATCH;
    for (uint32_t k = 0; k < n; k++) {
        const uint8_t *slot = p->in->slots + (size_t)(tail % p->slots) * NETLINK_SLOT;
        uint32_t len = __atomic_load_n((const uint32_t *)slot, __ATOMIC_RELAXED); /* read once */
        if (netlink_len_ok(len)) {
            memcpy(frame, slot + NETLINK_SLOT_HDR, len); /* looked at only in this copy */
            forward(i, frame, len);
            if (exit_after && ++taken == exit_after) {
                printf("%s: frame %lu taken: exiting (exit-after)\n", name, (unsigned long)taken);
                return true;
            }
        } else {
            p->rx++;
            p->dropped++;
        }
        tail++;
        __atomic_store_n(&p->in->tail, tail, __ATOMIC_RELEASE);
    }
    return n != 0;
}

/* Gives a receive buffer (back) to the device. */
static void nic_rx_post(uint16_t id)
{
    rxq.desc[id] = (struct vring_desc){ dma_pa + DMA_RXBUF + (uint64_t)id * NIC_BUF, NIC_BUF,
                                        VRING_DESC_F_WRITE, 0 };
    vmmio_post(&rxq, id);
}

/* Takes at most BATCH frames the board's NIC received; whether it took any. */
static bool serve_nic(unsigned i)
{
    uint32_t id, len;
    unsigned k = 0;
    for (; k < BATCH && vmmio_used_next(&rxq, &id, &len); k++) {
        if (id == UINT32_MAX) {
            continue; /* (an id the device should not have given: the buffer is lost) */
        }
        const uint8_t *buf = dma + DMA_RXBUF + (size_t)id * NIC_BUF;
        if (len > NIC_HDR && len <= NIC_BUF) {
            forward(i, buf + NIC_HDR, len - NIC_HDR);
        }
        nic_rx_post((uint16_t)id);
    }
    if (k) {
        vmmio_notify(&dev, &rxq);
    }
    return k != 0;
}

static const char *nic_init(const struct keel_progenv *env)
{
    if (env->dma_size < DMA_SIZE) {
        return "keel,dma too small (needs 0x18000)";
    }
    dma = (uint8_t *)(uintptr_t)env->dma_va;
    dma_pa = env->dma_pa;
    uint32_t got;
    const char *why = vmmio_reset(&dev, VIRTIO_ID_NET);
    if (!why) {
        why = vmmio_negotiate(&dev, 0, &got); /* no offloads, no MAC: it forwards what it gets */
    }
    if (!why) {
        why = vmmio_queue_setup(&dev, &rxq, RXQ, NIC_QUEUE, dma + DMA_RXQ, dma_pa + DMA_RXQ);
    }
    if (!why) {
        why = vmmio_queue_setup(&dev, &txq, TXQ, NIC_QUEUE, dma + DMA_TXQ, dma_pa + DMA_TXQ);
    }
    if (why) {
        return why;
    }
    vmmio_driver_ok(&dev);
    for (uint16_t id = 0; id < NIC_QUEUE; id++) {
        nic_rx_post(id);
        tx_free[tx_free_count++] = id;
    }
    vmmio_notify(&dev, &rxq);
    return NULL;
}

/* A VM's port: its address from the system tree, the header written for the VMM. */
static bool vm_port_init(struct port *p, unsigned i, const void *fdt)
{
    struct netsw_port *sp = &sw.port[i];
    struct netlink_layout l;
    int links = fdt ? fdt_path_offset(fdt, "/links") : -1;
    int node = links < 0 ? -1 : fdt_subnode_offset(fdt, links, p->env->name);
    int len = 0;
    const void *prop = node < 0 ? NULL : fdt_getprop(fdt, node, "keel,mac", &len);
    const char *why = netlink_mac_parse(prop, len, sp->mac);
    if (!why && !netlink_layout(p->env->size, true, 0, &l)) {
        why = "the link is too small for a slot each way";
    }
    for (unsigned j = 0; !why && j < i; j++) {
        if (sw.port[j].vm && memcmp(sw.port[j].mac, sp->mac, 6) == 0) {
            why = "keel,mac is another port's";
        }
    }
    sp->vm = true; /* (its address, if any, is a VM's even when the port is not served) */
    uint8_t *base = (uint8_t *)(uintptr_t)p->env->va;
    p->hdr = (volatile struct netlink_header *)base;
    __atomic_store_n(&p->hdr->magic, 0, __ATOMIC_RELEASE); /* (a previous run's: gone) */
    if (why) {
        printf("%s: port %s: %s: not served\n", name, p->env->name, why);
        return false;
    }
    p->in = (struct netlink_ring *)(base + l.tx); /* the VMM's tx */
    p->out = (struct netlink_ring *)(base + l.rx);
    p->slots = l.slots;
    p->in->tail = __atomic_load_n(&p->in->head, __ATOMIC_ACQUIRE); /* (a previous run's: gone) */
    p->hdr->version = 1;
    p->hdr->generation++;
    memcpy((void *)p->hdr->mac, sp->mac, 6);
    p->hdr->slots = l.slots;
    p->hdr->epoch = p->env->own_epoch;
    if (KOBJ(p->env->irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, i) != 0) {
        printf("%s: port %s: its doorbell cannot be attached: not served\n", name, p->env->name);
        return false;
    }
    __atomic_store_n(&p->hdr->magic, NETLINK_MAGIC, __ATOMIC_RELEASE);
    printf("%s: port %s: %02x:%02x:%02x:%02x:%02x:%02x, %u slots each way, generation %u\n", name,
           p->env->name, sp->mac[0], sp->mac[1], sp->mac[2], sp->mac[3], sp->mac[4], sp->mac[5],
           l.slots, p->hdr->generation);
    return true;
}

int main(void)
{
    const struct keel_progenv *env = rt_progenv();
    if (!env) {
        return 1;
    }
    name = env->name;
    rt_arg_u64(env->args, "exit-after", &exit_after); /* (left 0 without it) */
    const void *fdt = keel_system_tree(env);
    if (!fdt) {
        printf("%s: no system.dtb among its boot modules (keel,boot-modules): no addresses\n",
               name);
    }
    unsigned links = (unsigned)(env->link_count < KEEL_PROG_MAX_LINKS ? env->link_count
                                                                      : KEEL_PROG_MAX_LINKS);
    sw.uplink = -1;
    for (unsigned i = 0; i < links; i++) {
        ports[i].env = &env->links[i];
        sw.count++;
        ports[i].served = vm_port_init(&ports[i], i, fdt);
    }
    if (env->device_count >= 1) {
        const struct keel_prog_device *d = &env->devices[0];
        dev = (struct vmmio_dev){ .regs = (uintptr_t)d->va, .irq = d->irq };
        int64_t r = KOBJ(dev.irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, DEV_LABEL);
        if (r == 0) {
            r = KOBJ(dev.irq, KEEL_IRQ_UNMASK); /* (a run before may have left it masked) */
        }
        const char *why = r != 0 ? keel_strerror(r) : nic_init(env);
        if (why) {
            printf("%s: device %s: %s: no uplink\n", name, d->name, why);
        } else {
            sw.uplink = (int)sw.count;
            sw.port[sw.count++] = (struct netsw_port){ .vm = false, .up = true };
            printf("%s: device %s: the uplink (port %d)\n", name, d->name, sw.uplink);
        }
    }
    if (links && ports[0].hdr && ports[0].hdr->generation != 1) {
        exit_after = 0; /* (a restarted run serves on) */
    }
    for (;;) {
        bool work = false;
        watch_vmms();
        for (unsigned i = 0; i < sw.count; i++) { /* round robin, BATCH each */
            if (!sw.port[i].up) {
                continue;
            }
            work |= (int)i == sw.uplink ? serve_nic(i) : serve_vm(i);
            if (exit_after && taken == exit_after) {
                return 2;
            }
        }
        for (unsigned i = 0; i < sw.count; i++) {
            if (ports[i].ring_peer) {
                ports[i].ring_peer = false;
                KOBJ(ports[i].env->peer_irq, KEEL_IRQ_TRIGGER);
            }
        }
        if (tx_notify) {
            tx_notify = false;
            vmmio_notify(&dev, &txq);
        }
        if (work) {
            continue;
        }
        /* Idle: a doorbell (any port's; a trigger while busy stays pending) or the device. */
        uint64_t label = 0;
        if (!keel_tag_is_error(keel_wait(KEEL_TIMEOUT_NEVER, &label)) && label == DEV_LABEL) {
            vmmio_irq_taken(&dev);
            nic_tx_reclaim();
        }
    }
}

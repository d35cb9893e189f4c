// SPDX-License-Identifier: MIT
/*
 * A network cable over a shared-memory link (see net_link.h; the layout is
 * virtio/include/virtio/netlink.h). A cable to another VMM: the link's memory is split in two
 * halves, one ring per direction; end 0 sends in the first half. A link to the switch
 * (keel,net-switch, user/netsw): the switch's header first (the guest's MAC address), then the
 * VMM's sending and receiving rings. A ring is a single-producer, single-consumer array of 2 KiB
 * slots (length + frame) with free-running head and tail indexes. The sender writes the frame,
 * publishes the head (release), and rings the peer's doorbell (its Irq). Each end has a thread
 * that waits on its own Irq, then moves frames from its receive ring into the guest until the
 * ring is empty or the guest has no buffer.
 *
 * The peer is as untrusted as a guest: lengths and indexes read from the ring are checked.
 *
 * A cable is up while the VMM at the other end runs: the root task rings the link's doorbell when
 * that one ends or starts (peer_epoch, keel/progenv.h), and the guest's carrier follows.
 *
 * Restarts of the switch (docs/devices.md, "Restarts"): the root task rings the link's doorbell
 * when the switch ends and when it starts again (peer_epoch in the program's environment: odd
 * while the switch runs), and the link's thread also looks at the switch's header every
 * SWITCH_WATCH_US. The link is up while the header has its magic and the epoch of the run of the
 * switch that runs now (keel_peer_wrote()): when the switch ends or restarts, the guest's link
 * goes down (VIRTIO_NET_S_LINK_UP clear, a configuration-change interrupt) and what it sends is
 * dropped; once a new run has set its header up, the link goes up again. A dead run's header is
 * never taken. The rings go on where they were (the restarted switch drops what was waiting
 * for it). A restarted VMM finds the header as the switch left it and goes on from the rings'
 * indices as they are.
 */
#include "net_link.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <virtio/netlink.h>
#include <string.h>

#define SLOT_SIZE NETLINK_SLOT
#define FRAME_MAX (SLOT_SIZE - NETLINK_SLOT_HDR)
#define MAX_LINKS 2
#define LINK_UTCB(i) (KEEL_ROOT_UTCB_ADDR + (11 + (i)) * KEEL_PAGE_SIZE) /* after console_input */
#define SWITCH_WAIT_US 10000000u /* for the switch's header, at start */
#define SWITCH_POLL_US 10000u
#define SWITCH_WATCH_US 100000u /* a running link looks for a restarted switch this often */

struct net_link {
    struct vm *vm;
    struct netlink_ring *tx, *rx;
    uint32_t slots;      /* per ring */
    uint64_t irq, peer_irq, thread;
    bool (*deliver)(void *ctx, const void *frame, size_t len);
    void (*link_state)(void *ctx, bool up);
    void *ctx;
    volatile struct netlink_header *hdr; /* the switch's; NULL on a cable */
    const uint64_t *peer_epoch;          /* the root task's word: the switch's runs */
    uint64_t epoch;                      /* the run of the switch the link is up with */
    bool up;                             /* (read by senders: atomic) */
    struct vm_lock *lock; /* held around deliver: the receiving device's */
    const char *name;
    uint64_t sent, dropped, received, bad;
    uint8_t stack[8192] __attribute__((aligned(16)));
};

static struct net_link links[MAX_LINKS];
static unsigned link_count;

static struct net_link *self_link(void)
{
    uint64_t u = (uint64_t)(uintptr_t)keel_utcb();
    for (unsigned i = 0; i < link_count; i++) {
        if (LINK_UTCB(i) == u) {
            return &links[i];
        }
    }
    return NULL;
}

bool net_link_send(struct net_link *l, const void *frame, size_t len)
{
    uint32_t head = l->tx->head, tail = __atomic_load_n(&l->tx->tail, __ATOMIC_ACQUIRE);
    if (!__atomic_load_n(&l->up, __ATOMIC_ACQUIRE) || len > FRAME_MAX || head - tail >= l->slots) {
        l->dropped++;
        return false;
    }
    uint8_t *slot = l->tx->slots + (size_t)(head % l->slots) * SLOT_SIZE;
    uint32_t n = (uint32_t)len;
    memcpy(slot, &n, 4);
    memcpy(slot + 8, frame, len);
    __atomic_store_n(&l->tx->head, head + 1, __ATOMIC_RELEASE);
    l->sent++;
    KOBJ(l->peer_irq, KEEL_IRQ_TRIGGER);
    return true;
}

bool net_link_up(struct net_link *l)
{
    return __atomic_load_n(&l->up, __ATOMIC_ACQUIRE);
}

void net_link_poke(struct net_link *l)
{
    KOBJ(l->irq, KEEL_IRQ_TRIGGER);
}

/* Moves what the peer sent into the guest, as far as it takes it. */
static void receive(struct net_link *l)
{
    uint32_t tail = l->rx->tail;
    for (;;) {
        uint32_t head = __atomic_load_n(&l->rx->head, __ATOMIC_ACQUIRE);
        if (head == tail) {
            break;
        }
        if (head - tail > l->slots) {
            l->bad++; /* a broken peer: drop everything it claims */
            tail = head;
            break;
        }
        const uint8_t *slot = l->rx->slots + (size_t)(tail % l->slots) * SLOT_SIZE;
        uint32_t len;
        memcpy(&len, slot, 4);
        if (len > FRAME_MAX) {
            l->bad++;
        } else {
            vm_lock(l->lock);
            bool taken = l->deliver(l->ctx, slot + 8, len);
            vm_unlock(l->lock);
            if (!taken) {
                break; /* no guest buffer: keep it; a poke brings us back */
            }
            l->received++;
        }
        tail++;
        __atomic_store_n(&l->rx->tail, tail, __ATOMIC_RELEASE);
    }
}

static void set_link(struct net_link *l, bool up)
{
    __atomic_store_n(&l->up, up, __ATOMIC_RELEASE);
    vm_lock(l->lock);
    l->link_state(l->ctx, up);
    vm_unlock(l->lock);
}

/* Whether the switch's header is set up by the run of the switch that runs now (that run's epoch
 * and generation in *epoch, *generation). */
static bool switch_live(struct net_link *l, uint64_t *epoch, uint32_t *generation)
{
    *generation = l->hdr->generation; /* (said in messages) */
    return keel_peer_header_live(&l->hdr->magic, NETLINK_MAGIC, &l->hdr->epoch, l->peer_epoch,
                                 epoch);
}

/* The switch as it is now: down while it is dead or restarting, up again once it is back. */
static void watch_switch(struct net_link *l)
{
    uint64_t epoch;
    uint32_t generation;
    bool live = switch_live(l, &epoch, &generation);
    if (l->up && !(live && epoch == l->epoch)) {
        bool ended = !(__atomic_load_n(l->peer_epoch, __ATOMIC_ACQUIRE) & 1);
        printf("vmm: %s: link %s: the switch %s: link down\n", l->vm->name, l->name,
               ended ? "ended" : "restarts");
        set_link(l, false);
    }
    if (!l->up && live) {
        l->epoch = epoch;
        printf("vmm: %s: link %s: the switch is back (generation %u): link up\n", l->vm->name,
               l->name, generation);
        set_link(l, true);
    }
}

/* A cable: up while the VMM at the other end runs (the root task rings when it ends or starts). */
static void watch_cable(struct net_link *l)
{
    bool runs = __atomic_load_n(l->peer_epoch, __ATOMIC_ACQUIRE) & 1;
    if (l->up != runs) {
        printf("vmm: %s: link %s: the other end %s\n", l->vm->name, l->name,
               runs ? "runs: link up" : "ended: link down");
        set_link(l, runs);
    }
}

static void link_thread(void)
{
    struct net_link *l = self_link();
    for (;;) { /* (a look before the first wait: a ring before the doorbell was attached is lost) */
        if (l->hdr) {
            watch_switch(l);
        } else {
            watch_cable(l);
        }
        receive(l);
        keel_receive(l->irq, l->hdr ? SWITCH_WATCH_US : KEEL_TIMEOUT_NEVER, 0);
    }
}

/* The switch's header: its magic, then the guest's address (the system tree's, so a dead run's
 * header says it as well as a live one's). false when there is none in time. */
static bool switch_mac(const struct keel_prog_link *pl, uint8_t mac[6])
{
    volatile struct netlink_header *h = (volatile struct netlink_header *)(uintptr_t)pl->va;
    for (uint32_t waited = 0; waited < SWITCH_WAIT_US; waited += SWITCH_POLL_US) {
        if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == NETLINK_MAGIC) {
            uint8_t m[6];
            memcpy(m, (const void *)h->mac, 6); /* read once; the switch checked it */
            if (netlink_mac_parse(m, 6, mac) == NULL) {
                return true;
            }
        }
        keel_wait(SWITCH_POLL_US, 0); /* (nobody sends to this thread yet: a sleep) */
    }
    return false;
}

struct net_link *net_link_open(struct vm *vm, const char *name, bool to_switch, uint8_t mac[6],
                               bool (*deliver)(void *ctx, const void *frame, size_t len),
                               void (*link_state)(void *ctx, bool up), void *ctx,
                               struct vm_lock *lock)
{
    const struct keel_prog_link *pl = rt_prog_link(name);
    struct netlink_layout layout;
    if (!pl || !netlink_layout(pl->size, to_switch, (unsigned)pl->end, &layout) ||
        link_count == MAX_LINKS) {
        printf("vmm: %s: no usable link \"%s\" (keel,links of this program in the system tree)\n",
               vm->name, name);
        return NULL;
    }
    if (to_switch) {
        if (!switch_mac(pl, mac)) {
            printf("vmm: %s: link \"%s\": no switch header (magic and a unicast address) in %u s\n",
                   vm->name, name, SWITCH_WAIT_US / 1000000);
            return NULL;
        }
        printf("vmm: %s: link %s: on the switch as %02x:%02x:%02x:%02x:%02x:%02x\n", vm->name, name,
               mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    }
    struct net_link *l = &links[link_count];
    memset(l, 0, sizeof(*l));
    l->vm = vm;
    l->lock = lock;
    char *base = (char *)(uintptr_t)pl->va;
    l->tx = (struct netlink_ring *)(base + layout.tx);
    l->rx = (struct netlink_ring *)(base + layout.rx);
    l->slots = layout.slots;
    l->irq = pl->irq;
    l->peer_irq = pl->peer_irq;
    l->deliver = deliver;
    l->link_state = link_state;
    l->ctx = ctx;
    l->name = pl->name;
    l->hdr = to_switch ? (volatile struct netlink_header *)base : NULL;
    l->peer_epoch = &pl->peer_epoch;
    uint32_t generation;
    l->up = to_switch ? switch_live(l, &l->epoch, &generation)
                      : __atomic_load_n(l->peer_epoch, __ATOMIC_ACQUIRE) & 1;
    if (!l->up && to_switch) { /* (a dead run's header: down until a new run's is there) */
        printf("vmm: %s: link %s: the switch does not run: link down\n", vm->name, name);
    }
    l->thread = rt_cap_alloc();
    link_count++; /* (before it runs: it finds itself by its UTCB) */
    int64_t r = vm_irq_thread_start(l->thread, LINK_UTCB(link_count - 1), l->irq, link_thread,
                                    &l->stack[sizeof(l->stack)]);
    if (r < 0) {
        printf("vmm: %s: link \"%s\": %s\n", vm->name, name, keel_strerror(r));
        link_count--;
        return NULL;
    }
    return l;
}

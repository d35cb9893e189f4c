// SPDX-License-Identifier: MIT
/*
 * The VMM's end of a block link (blk_link.h; docs/devices.md "The link protocol"). The device
 * model (virtio/dev_blk.c) checks each guest request and hands it to blk_start() in one of its
 * in-flight slots; slot i owns the i-th equal part of the link's data area, so a request needs
 * no allocation: OUT data is copied from guest RAM into it before the request is posted, IN
 * data from it into guest RAM when the answer comes (the one copy; the board's device reads
 * and writes the data area by DMA). Answers come asynchronously: a thread of the link waits on
 * its doorbell, takes the completions and gives each to virtio_blk_complete() under the device's
 * lock. The driver is trusted with the disk but its answers are still checked (tag, length):
 * the VMM never copies more than the slot's part of the data area into the guest.
 *
 * Tags: slot | sequence << 8, the sequence counting the VMM's posts, so an answer to a request
 * of a previous run (of either side) names no request in flight and is dropped. The driver is
 * up while its header has the magic and the epoch of the run of the driver that runs now
 * (keel_peer_wrote(); the root task rings the doorbell when the driver ends and starts): when it
 * ends or restarts, everything in flight fails with IOERR, and new requests are refused (IOERR)
 * until a new run has set its header up; a dead run's header is never taken. A restarted VMM
 * drops the completions the previous run left and waits for what it had in flight
 * (take_over()).
 */
#include "blk_link.h"
#include "vcpu.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <virtio/blklink.h>
#include <string.h>

#define MAX_BLK_LINKS 2
#define BLK_LINK_WAIT_S 10
#define POLL_US 100000 /* the thread also looks for a restarted driver this often */
_Static_assert(BLKLINK_MAX_SLOTS <= VIRTIO_BLK_ASYNC_SLOTS, "a ring slot per in-flight request");
#define BLK_LINK_UTCB(i)                                                                           \
    (KEEL_ROOT_UTCB_ADDR + (14 + (i)) * KEEL_PAGE_SIZE) /* after vm_timer.c's; the last two of 16 */

struct blk_link {
    struct vm *vm;
    const char *name;
    struct virtio_blk *dev;
    struct vm_lock *lock;
    volatile struct blklink_header *hdr;
    struct blklink_ring_index *req_idx, *done_idx;
    struct blklink_req *req;
    struct blklink_done *done;
    uint8_t *data;
    struct blklink_layout layout;
    uint64_t part;       /* bytes of the data area per slot */
    const uint64_t *peer_epoch; /* the root task's word: the driver's runs */
    uint64_t epoch;             /* the run of the driver this side took over */
    uint32_t generation;        /* ... its generation (said in messages) */
    bool up;
    uint32_t seq;
    uint64_t tags[VIRTIO_BLK_ASYNC_SLOTS]; /* of the request in flight in each slot, 0: none */
    uint32_t lens[VIRTIO_BLK_ASYNC_SLOTS];
    uint64_t irq, peer_irq, thread;
    uint64_t bad; /* answers dropped: unknown tag, or a broken index */
    uint32_t dropped;    /* completions of a previous run dropped by take_over() */
    uint32_t exit_after; /* (blk_link_test_exit_after: 0, never) */
    uint32_t posted;
    bool exiting; /* (... reached: no completion is taken any more) */
    uint8_t stack[8192] __attribute__((aligned(16)));
};

static struct blk_link blk_links[MAX_BLK_LINKS];
static unsigned blk_link_count;

static struct blk_link *self_link(void)
{
    uint64_t u = (uint64_t)(uintptr_t)keel_utcb();
    for (unsigned i = 0; i < blk_link_count; i++) {
        if (BLK_LINK_UTCB(i) == u) {
            return &blk_links[i];
        }
    }
    return NULL;
}

static uint64_t peer_epoch(struct blk_link *l)
{
    return __atomic_load_n(l->peer_epoch, __ATOMIC_ACQUIRE);
}

/* Whether the driver's header is set up by the run of the driver that runs now (that run's epoch
 * in *epoch). */
static bool driver_live(struct blk_link *l, uint64_t *epoch)
{
    return keel_peer_header_live(&l->hdr->magic, BLKLINK_MAGIC, &l->hdr->epoch, l->peer_epoch,
                                 epoch);
}

/* The run of the driver this side took over still runs, and is set up. */
static bool driver_up(struct blk_link *l)
{
    uint64_t epoch;
    return driver_live(l, &epoch) && epoch == l->epoch;
}

/* dev_blk's backend.start (the device's lock held): posts the request of slot r->slot. */
static bool blk_start(void *ctx, const struct virtio_blk_async_req *r)
{
    struct blk_link *l = ctx;
    if (!l->up || !driver_up(l) || r->len > l->part) {
        return false;
    }
    uint64_t off = r->slot * l->part;
    if (r->type == VIRTIO_BLK_T_OUT && virtq_chain_read(r->out, sizeof(struct virtio_blk_outhdr),
                                                        l->data + off, r->len) != r->len) {
        return false;
    }
    uint64_t tag = r->slot | (uint64_t)++l->seq << 8;
    l->tags[r->slot] = tag;
    l->lens[r->slot] = r->len;
    uint32_t prod = l->req_idx->prod;
    l->req[prod % l->layout.ring_size] = (struct blklink_req){
        .tag = tag, .sector = r->sector, .type = r->type, .len = r->len, .data_off = (uint32_t)off
    };
    __atomic_store_n(&l->req_idx->prod, prod + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* prod before driver_idle (it sets, then looks) */
    if (__atomic_load_n(&l->hdr->driver_idle, __ATOMIC_RELAXED)) {
        KOBJ(l->peer_irq, KEEL_IRQ_TRIGGER);
    }
    if (l->exit_after && ++l->posted == l->exit_after) {
        printf("vmm: %s: disk link %s: request %u posted: stopping the VM "
               "(keel,test-exit-after-requests)\n",
               l->vm->name, l->name, l->posted);
        l->exiting = true;
        l->vm->broken = true;
        vm_stop(l->vm);
    }
    return true;
}

/* Fails every request in flight (the driver restarted): the caller holds the device's lock. */
static void fail_all(struct blk_link *l)
{
    for (unsigned i = 0; i < VIRTIO_BLK_ASYNC_SLOTS; i++) {
        if (l->tags[i]) {
            l->tags[i] = 0;
            virtio_blk_complete(l->dev, i, VIRTIO_BLK_S_IOERR, NULL, 0);
        }
    }
}

/* Takes the link over from whatever state a previous run of either side left. The driver keeps
 * its two indices in step (each request it takes gets a completion; a restarted driver sets
 * both to the VMM's prod): once its completion prod has caught up with its request cons,
 * nothing posted before is in flight (the device may still be writing a data area this side
 * would reuse until then). Completions meanwhile are a previous run's: dropped, which also
 * leaves the driver room to post the rest. */
static bool take_over(struct blk_link *l)
{
    uint64_t epoch;
    if (!driver_live(l, &epoch)) {
        return false; /* no driver runs, or it is not set up yet (a dead run's header is not
                       * taken: its indices are the new run's to set) */
    }
    uint32_t cons = __atomic_load_n(&l->req_idx->cons, __ATOMIC_ACQUIRE);
    uint32_t dprod = __atomic_load_n(&l->done_idx->prod, __ATOMIC_ACQUIRE);
    l->dropped += dprod - l->done_idx->cons;
    __atomic_store_n(&l->done_idx->cons, dprod, __ATOMIC_RELEASE);
    if (dprod != cons) {
        return false;
    }
    l->req_idx->prod = cons;
    l->generation = l->hdr->generation;
    l->epoch = epoch;
    l->up = true;
    return true;
}

/* Answers the completions the driver posted (the device's lock held). */
static void complete(struct blk_link *l)
{
    if (l->exiting) {
        return;
    }
    if (l->up && !driver_up(l)) {
        printf("vmm: %s: disk link %s: the driver %s: requests in flight fail\n", l->vm->name,
               l->name, peer_epoch(l) & 1 ? "restarted" : "ended");
        l->up = false;
        fail_all(l);
    }
    if (!l->up) {
        if (!take_over(l)) {
            return;
        }
        printf("vmm: %s: disk link %s: driver up (generation %u)\n", l->vm->name, l->name,
               l->generation);
    }
    uint32_t cons = l->done_idx->cons, prod = __atomic_load_n(&l->done_idx->prod, __ATOMIC_ACQUIRE);
    uint32_t n;
    if (!blklink_pending(prod, cons, l->layout.ring_size, &n)) {
        l->bad++;
        return; /* a broken driver: nothing it says is taken */
    }
    for (; n; n--) {
        struct blklink_done d = l->done[cons % l->layout.ring_size]; /* read once */
        /* Taken before it is answered: a request the answer lets the guest post (in
         * virtio_blk_complete) then always finds the driver room for its completion. */
        __atomic_store_n(&l->done_idx->cons, ++cons, __ATOMIC_RELEASE);
        unsigned slot = (unsigned)(d.tag & 0xff);
        if (slot >= VIRTIO_BLK_ASYNC_SLOTS || l->tags[slot] != d.tag || d.tag == 0) {
            l->bad++;
            continue;
        }
        l->tags[slot] = 0;
        uint32_t len = d.len < l->lens[slot] ? d.len : l->lens[slot];
        uint8_t status = d.status <= BLKLINK_S_UNSUPP ? (uint8_t)d.status : VIRTIO_BLK_S_IOERR;
        virtio_blk_complete(l->dev, slot, status, l->data + slot * l->part, len);
    }
}

static void link_thread(void)
{
    struct blk_link *l = self_link();
    for (;;) {
        __atomic_store_n(&l->hdr->vmm_idle, 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* idle before the last look at the ring */
        if (l->done_idx->prod == l->done_idx->cons && l->up && driver_up(l)) {
            keel_receive(l->irq, POLL_US, 0);
        }
        __atomic_store_n(&l->hdr->vmm_idle, 0, __ATOMIC_RELAXED);
        vm_lock(l->lock);
        complete(l);
        vm_unlock(l->lock);
        if (!l->up) {
            keel_receive(l->irq, POLL_US, 0); /* (the driver is not up: look again later) */
        }
    }
}

struct blk_link *blk_link_open(struct vm *vm, const char *name, struct virtio_blk *dev,
                               struct vm_lock *lock, struct virtio_blk_backend *b)
{
    const struct keel_prog_link *pl = rt_prog_link(name);
    struct blklink_layout layout;
    if (!pl || !blklink_layout(pl->size, BLKLINK_MAX_SLOTS, &layout) ||
        blk_link_count == MAX_BLK_LINKS) {
        printf("vmm: %s: no usable disk link \"%s\" (keel,links of this program in the system "
               "tree, at least 64 KiB and rings)\n",
               vm->name, name);
        return NULL;
    }
    struct blk_link *l = &blk_links[blk_link_count];
    memset(l, 0, sizeof(*l));
    uint8_t *base = (uint8_t *)(uintptr_t)pl->va;
    *l = (struct blk_link){ .vm = vm,
                            .name = pl->name,
                            .dev = dev,
                            .lock = lock,
                            .hdr = (volatile struct blklink_header *)base,
                            .req_idx = (struct blklink_ring_index *)(base + layout.req_ring),
                            .done_idx = (struct blklink_ring_index *)(base + layout.done_ring),
                            .req = (struct blklink_req *)(base + layout.req_ring +
                                                          sizeof(struct blklink_ring_index)),
                            .done = (struct blklink_done *)(base + layout.done_ring +
                                                            sizeof(struct blklink_ring_index)),
                            .data = base + layout.data,
                            .layout = layout,
                            .irq = pl->irq,
                            .peer_irq = pl->peer_irq,
                            .peer_epoch = &pl->peer_epoch };
    unsigned slots = layout.ring_size < VIRTIO_BLK_ASYNC_SLOTS ? layout.ring_size
                                                               : VIRTIO_BLK_ASYNC_SLOTS;
    l->part = layout.data_size / slots / BLKLINK_SECTOR * BLKLINK_SECTOR;
    /* The driver says what the slice is: wait for it (it starts beside this VMM). */
    uint64_t waited = 0;
    while (!take_over(l) && waited < BLK_LINK_WAIT_S * 1000000ull) {
        keel_wait(POLL_US, 0); /* nobody sends to this thread yet: a sleep */
        waited += POLL_US;
    }
    /* The slice is the system tree's: a dead run's header says it as well as a live one's (the
     * disk then answers IOERR until a run of the driver is up). */
    bool known = __atomic_load_n(&l->hdr->magic, __ATOMIC_ACQUIRE) == BLKLINK_MAGIC;
    *b = (struct virtio_blk_backend){ .size = known ? l->hdr->capacity * BLKLINK_SECTOR : 0,
                                      .read_only = known && (l->hdr->flags & BLKLINK_F_RO),
                                      .flush = known && (l->hdr->flags & BLKLINK_F_FLUSH),
                                      .id = pl->name,
                                      .start = blk_start,
                                      .ctx = l,
                                      .slots = slots,
                                      .max_len = (uint32_t)l->part };
    printf("vmm: %s: disk link %s: %s%lu sectors%s%s, %u requests of up to %lu KiB in flight\n",
           vm->name, name,
           l->up   ? ""
           : known ? "the driver does not run (its last run's slice): "
                   : "no driver: ",
           (unsigned long)(b->size / BLKLINK_SECTOR), b->read_only ? ", read-only" : "",
           b->flush ? ", flush" : "", slots, (unsigned long)(l->part >> 10));
    if (l->up && l->req_idx->prod) { /* (a previous run of this VMM posted) */
        printf("vmm: %s: disk link %s: taken over at request %u, %u completions of the previous "
               "run dropped\n",
               vm->name, name, l->req_idx->prod, l->dropped);
    }
    l->thread = rt_cap_alloc();
    unsigned index = blk_link_count++; /* (before it runs: it finds itself by its UTCB) */
    int64_t r = vm_irq_thread_start(l->thread, BLK_LINK_UTCB(index), l->irq, link_thread,
                                    &l->stack[sizeof(l->stack)]);
    if (r < 0) {
        printf("vmm: %s: disk link \"%s\": %s\n", vm->name, name, keel_strerror(r));
        blk_link_count--;
        return NULL;
    }
    return l;
}

void blk_link_test_exit_after(struct blk_link *l, uint32_t n)
{
    l->exit_after = l->up && l->req_idx->prod == 0 ? n : 0; /* (a fresh link: the first run) */
}

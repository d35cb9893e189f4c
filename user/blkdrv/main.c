// SPDX-License-Identifier: MIT
/*
 * The block driver program (docs/devices.md): drives the board's virtio-blk (virtio 1.x over
 * virtio-mmio, its device 0: window, Irq, DMA memory) and serves a slice of its disk to each of
 * its links (keel,links), the other end of which is a VMM's virtio-blk back end
 * (vmm/blk_link.c).
 *
 *   links[i] ── request ring ──> check (blklink_req_check) ──> the device: one request at a time,
 *            <── done ring ──────  answer                  <──  DMA straight into the link's
 *                                                                data area (env->links[i].pa)
 *
 * The slices come from the system tree among its boot modules (system.dtb, /links/<name>:
 * keel,blk-slice, keel,blk-read-only), checked against the disk's capacity and one another
 * (blk_slice_parse, blk_slices_conflict); a link whose slice is refused is never served (its
 * header stays without magic: the VMM's disk has no medium). Everything the VMM writes is read
 * once and checked; a link whose indices make no sense is no longer served (said once), the
 * others go on. Links are served round robin, at most a ring's worth of requests each turn.
 *
 * args "exit-after <n>" (a test of restarts, vm/arm64-blk-driver-restart): in its first run
 * (generation 1) it takes the n-th request and exits (status 2) without answering it, as a
 * driver that crashed.
 *
 * One request at a time on the device: a FLUSH is sent after every earlier write completed, so
 * it covers them (virtio 1.2 §5.2.6.2). The device's interrupt and the links' doorbells all go
 * to the one thread; it sleeps in an open wait when no link has work.
 */
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <keel/system_tree.h>
#include <keel/virtio_mmio_drv.h>
#include <virtio/blklink.h>
#include <virtio/uapi.h>
#include <libfdt.h>
#include <string.h>

#define QUEUE_SIZE 8
#define DEV_LABEL 0x100
#define WAIT_US 5000000 /* a device that does not answer in this long is broken */

/* DMA memory: the queue (VMMIO_QUEUE_PAGES), then the request header and status (a page). */
enum { DMA_REQ = VMMIO_QUEUE_PAGES, DMA_PAGES };
#define REQ_STATUS 64

struct link {
    const struct keel_prog_link *env;
    struct blk_slice slice;
    struct blklink_layout layout;
    volatile struct blklink_header *hdr;
    struct blklink_ring_index *req_idx, *done_idx;
    struct blklink_req *req;
    struct blklink_done *done;
    bool served; /* slice accepted, header written */
    bool broken; /* the VMM broke the protocol: not served any more */
    uint64_t requests, errors;
};

static const char *name;
static struct vmmio_dev dev;
static struct vmmio_queue queue;
static bool dev_flush; /* the device offers VIRTIO_BLK_F_FLUSH */
static struct link links[KEEL_PROG_MAX_LINKS];
static unsigned link_count;
static uint64_t exit_after; /* 0: never */
static uint64_t taken;      /* requests taken in this run */
static bool crashed;        /* exit-after reached: main() returns 2 */

/* Sets the device up: VERSION_1, FLUSH if offered, queue 0 in the DMA memory. NULL, or what went
 * wrong. */
static const char *dev_init(const struct keel_progenv *env)
{
    uint32_t got;
    const char *why = vmmio_reset(&dev, VIRTIO_ID_BLOCK);
    if (!why) {
        why = vmmio_negotiate(&dev, 1u << VIRTIO_BLK_F_FLUSH, &got);
    }
    if (!why) {
        dev_flush = got != 0;
        why = vmmio_queue_setup(&dev, &queue, 0, QUEUE_SIZE, (void *)(uintptr_t)env->dma_va,
                                env->dma_pa);
    }
    if (!why) {
        vmmio_driver_ok(&dev);
    }
    return why;
}

/* One request on the device, waited for: type at disk sector, len bytes at physical address
 * data_pa (none for 0). The device's status, or IOERR when it broke or did not answer. */
static uint8_t dev_request(const struct keel_progenv *env, uint32_t type, uint64_t sector,
                           uint64_t data_pa, uint32_t len)
{
    uint8_t *req = (uint8_t *)(uintptr_t)env->dma_va + DMA_REQ * KEEL_PAGE_SIZE;
    uint64_t req_pa = env->dma_pa + DMA_REQ * KEEL_PAGE_SIZE;
    struct virtio_blk_outhdr *h = (struct virtio_blk_outhdr *)req;
    volatile uint8_t *status = req + REQ_STATUS;
    struct vring_desc *desc = queue.desc;
    *h = (struct virtio_blk_outhdr){ .type = type, .ioprio = 0, .sector = sector };
    *status = 0xff;
    uint16_t data_flags = type == VIRTIO_BLK_T_OUT ? 0 : VRING_DESC_F_WRITE;
    desc[0] = (struct vring_desc){ req_pa, sizeof(*h), VRING_DESC_F_NEXT, len ? 1 : 2 };
    desc[1] = (struct vring_desc){ data_pa, len, (uint16_t)(data_flags | VRING_DESC_F_NEXT), 2 };
    desc[2] = (struct vring_desc){ req_pa + REQ_STATUS, 1, VRING_DESC_F_WRITE, 0 };
    vmmio_post(&queue, 0);
    vmmio_notify(&dev, &queue);
    if (!vmmio_wait_used(&dev, &queue, WAIT_US)) {
        printf("%s: the device did not answer: %s\n", name, keel_strerror(keel_ipc_error()));
        return VIRTIO_BLK_S_IOERR;
    }
    queue.used_idx = queue.avail_idx; /* (one request at a time: the one just used) */
    return *status;
}

/* Reads and checks every link's slice; the links that pass are set up and served. */
static void links_init(const struct keel_progenv *env, const void *fdt, uint64_t disk_sectors)
{
    int links_node = fdt ? fdt_path_offset(fdt, "/links") : -1;
    for (unsigned i = 0; i < link_count; i++) {
        struct link *l = &links[i];
        int node = links_node < 0 ? -1 : fdt_subnode_offset(fdt, links_node, l->env->name);
        int len = 0;
        const void *prop = node < 0 ? NULL : fdt_getprop(fdt, node, "keel,blk-slice", &len);
        bool ro = node >= 0 && fdt_getprop(fdt, node, "keel,blk-read-only", NULL) != NULL;
        const char *why = blk_slice_parse(prop, len, ro, disk_sectors, &l->slice);
        if (!why && !blklink_layout(l->env->size, BLKLINK_MAX_SLOTS, &l->layout)) {
            why = "the link is too small for the rings and a 64 KiB request";
        }
        if (why) {
            printf("%s: link %s: %s: not served\n", name, l->env->name, why);
            continue;
        }
        l->served = true;
    }
    for (unsigned i = 0; i < link_count; i++) {
        for (unsigned j = i + 1; j < link_count; j++) {
            if (links[i].served && links[j].served &&
                blk_slices_conflict(&links[i].slice, &links[j].slice)) {
                printf("%s: links %s and %s: their slices share sectors and one is writable: "
                       "neither is served\n",
                       name, links[i].env->name, links[j].env->name);
                links[i].served = links[j].served = false;
            }
        }
    }
    for (unsigned i = 0; i < link_count; i++) {
        struct link *l = &links[i];
        uint8_t *base = (uint8_t *)(uintptr_t)l->env->va;
        l->hdr = (volatile struct blklink_header *)base;
        __atomic_store_n(&l->hdr->magic, 0, __ATOMIC_RELEASE); /* (a previous run's: gone) */
        if (!l->served) {
            continue;
        }
        l->req_idx = (struct blklink_ring_index *)(base + l->layout.req_ring);
        l->done_idx = (struct blklink_ring_index *)(base + l->layout.done_ring);
        l->req = (struct blklink_req *)(l->req_idx + 1);
        l->done = (struct blklink_done *)(l->done_idx + 1);
        /* Requests posted to a previous run are not served (the VMM fails them when it sees the
         * new generation); both indices at the VMM's prod: in step again (vmm/blk_link.c). */
        l->req_idx->cons = __atomic_load_n(&l->req_idx->prod, __ATOMIC_ACQUIRE);
        l->done_idx->prod = l->req_idx->cons;
        l->hdr->version = 1;
        l->hdr->generation++;
        l->hdr->capacity = l->slice.sectors;
        l->hdr->flags = (l->slice.read_only ? BLKLINK_F_RO : 0) | (dev_flush ? BLKLINK_F_FLUSH : 0);
        l->hdr->ring_size = l->layout.ring_size;
        l->hdr->driver_idle = 0;
        l->hdr->epoch = l->env->own_epoch;
        __atomic_store_n(&l->hdr->magic, BLKLINK_MAGIC, __ATOMIC_RELEASE);
        printf("%s: link %s: sectors %lu..%lu of the disk%s, %u slots, %lu KiB of data, "
               "generation %u\n",
               name, l->env->name, (unsigned long)l->slice.first,
               (unsigned long)(l->slice.first + l->slice.sectors - 1),
               l->slice.read_only ? ", read-only" : "", l->layout.ring_size,
               (unsigned long)(l->layout.data_size >> 10), l->hdr->generation);
        if (KOBJ(l->env->irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, i) != 0) {
            printf("%s: link %s: its doorbell cannot be attached: not served\n", name,
                   l->env->name);
            l->served = false;
        }
    }
}

/* The link's protocol is broken by its VMM: it is no longer served. */
static void link_broken(struct link *l, const char *why)
{
    printf("%s: link %s: %s: no longer served\n", name, l->env->name, why);
    l->broken = true;
}

/* Serves one request (a copy, checked): the status, and the bytes written for IN and GET_ID. */
static enum blklink_status serve(const struct keel_progenv *env, struct link *l,
                                 const struct blklink_req *r, uint32_t *written)
{
    uint64_t sector;
    *written = 0;
    enum blklink_status s = blklink_req_check(r, &l->slice, &l->layout, &sector);
    if (s != BLKLINK_S_OK) {
        return s;
    }
    uint64_t data_off = l->layout.data + r->data_off;
    switch (r->type) {
    case BLKLINK_GET_ID: {
        char *id = (char *)(uintptr_t)(l->env->va + data_off);
        memset(id, 0, BLKLINK_ID_BYTES);
        strncpy(id, l->env->name, BLKLINK_ID_BYTES);
        *written = BLKLINK_ID_BYTES;
        return BLKLINK_S_OK;
    }
    case BLKLINK_FLUSH:
        if (!dev_flush) {
            return BLKLINK_S_UNSUPP;
        }
        return dev_request(env, VIRTIO_BLK_T_FLUSH, 0, 0, 0) == VIRTIO_BLK_S_OK ? BLKLINK_S_OK
                                                                                : BLKLINK_S_IOERR;
    default: {
        /* The device reads or writes the link's data area itself: the one copy is the VMM's. */
        uint8_t st = dev_request(env, r->type, sector, l->env->pa + data_off, r->len);
        if (st != VIRTIO_BLK_S_OK) {
            return BLKLINK_S_IOERR;
        }
        *written = r->type == BLKLINK_IN ? r->len : 0;
        return BLKLINK_S_OK;
    }
    }
}

/* Serves at most a ring's worth of the link's requests; whether it did any. */
static bool link_serve(const struct keel_progenv *env, struct link *l)
{
    uint32_t prod = __atomic_load_n(&l->req_idx->prod, __ATOMIC_ACQUIRE), n;
    uint32_t cons = l->req_idx->cons; /* (written by this side only) */
    if (!blklink_pending(prod, cons, l->layout.ring_size, &n)) {
        link_broken(l, "its request index runs more than a ring ahead");
        return false;
    }
    uint32_t dprod = l->done_idx->prod,
             dcons = __atomic_load_n(&l->done_idx->cons, __ATOMIC_ACQUIRE);
    uint32_t unread;
    if (!blklink_pending(dprod, dcons, l->layout.ring_size, &unread)) {
        link_broken(l, "its completion index is more than a ring behind");
        return false;
    }
    uint32_t room = l->layout.ring_size - unread;
    n = n < room ? n : room; /* (a VMM that does not take its completions waits) */
    for (uint32_t k = 0; k < n; k++) {
        struct blklink_req r = l->req[cons % l->layout.ring_size]; /* read once */
        if (exit_after && ++taken == exit_after) {
            printf("%s: request %lu taken: exiting without an answer (exit-after)\n", name,
                   (unsigned long)taken);
            crashed = true;
            return false;
        }
        uint32_t written;
        enum blklink_status s = serve(env, l, &r, &written);
        l->requests++;
        l->errors += s != BLKLINK_S_OK;
        l->done[dprod % l->layout.ring_size] =
            (struct blklink_done){ .tag = r.tag, .status = s, .len = written };
        cons++;
        dprod++;
        __atomic_store_n(&l->req_idx->cons, cons, __ATOMIC_RELEASE);
        __atomic_store_n(&l->done_idx->prod, dprod, __ATOMIC_RELEASE);
    }
    if (n) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* prod before the VMM's idle flag */
        if (__atomic_load_n(&l->hdr->vmm_idle, __ATOMIC_RELAXED)) {
            KOBJ(l->env->peer_irq, KEEL_IRQ_TRIGGER);
        }
    }
    return n != 0;
}

int main(void)
{
    const struct keel_progenv *env = rt_progenv();
    if (!env) {
        return 1;
    }
    name = env->name;
    rt_arg_u64(env->args, "exit-after", &exit_after); /* (left 0 without it) */
    if (env->device_count != 1 || env->dma_size < DMA_PAGES * KEEL_PAGE_SIZE) {
        printf("%s: needs one board device (keel,devices) and %u KiB of DMA memory (keel,dma)\n",
               name, DMA_PAGES * 4);
        return 1;
    }
    const struct keel_prog_device *d = &env->devices[0];
    dev = (struct vmmio_dev){ .regs = (uintptr_t)d->va, .irq = d->irq };
    int64_t r = KOBJ(dev.irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, DEV_LABEL);
    if (r == 0) {
        r = KOBJ(dev.irq, KEEL_IRQ_UNMASK);
    }
    const char *why = r != 0 ? keel_strerror(r) : dev_init(env);
    if (why) {
        printf("%s: device %s: %s\n", name, d->name, why);
        return 1;
    }
    uint64_t disk_sectors = (uint64_t)vmmio_rd(&dev, VIRTIO_MMIO_CONFIG) |
                            (uint64_t)vmmio_rd(&dev, VIRTIO_MMIO_CONFIG + 4) << 32;
    printf("%s: device %s: %lu sectors (%lu KiB)%s\n", name, d->name, (unsigned long)disk_sectors,
           (unsigned long)(disk_sectors / 2), dev_flush ? ", flush" : ", no flush");
    const void *fdt = keel_system_tree(env);
    if (!fdt) {
        printf("%s: no usable system.dtb among its boot modules (keel,boot-modules): no slices\n",
               name);
    }
    link_count = (unsigned)(env->link_count < KEEL_PROG_MAX_LINKS ? env->link_count
                                                                  : KEEL_PROG_MAX_LINKS);
    for (unsigned i = 0; i < link_count; i++) {
        links[i].env = &env->links[i];
    }
    links_init(env, fdt, disk_sectors);
    if (link_count && links[0].served && links[0].hdr->generation != 1) {
        exit_after = 0; /* (a restarted run serves on) */
    }
    for (;;) {
        bool work = false;
        for (unsigned i = 0; i < link_count; i++) {
            if (links[i].served && !links[i].broken) {
                work |= link_serve(env, &links[i]);
            }
            if (crashed) {
                return 2;
            }
        }
        if (work) {
            continue;
        }
        /* Idle: say so, then look once more (a VMM posts, then reads the flag). */
        bool pending = false;
        for (unsigned i = 0; i < link_count; i++) {
            struct link *l = &links[i];
            if (l->served && !l->broken) {
                __atomic_store_n(&l->hdr->driver_idle, 1, __ATOMIC_RELAXED);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                /* (requests it has no room to answer do not keep it awake: a VMM that takes
                 * no completions must not make it spin) */
                uint32_t unread = l->done_idx->prod -
                                  __atomic_load_n(&l->done_idx->cons, __ATOMIC_ACQUIRE);
                pending |= __atomic_load_n(&l->req_idx->prod, __ATOMIC_ACQUIRE) !=
                               l->req_idx->cons &&
                           unread < l->layout.ring_size;
            }
        }
        if (!pending) {
            uint64_t label = 0; /* a doorbell (any link's), or a late device interrupt */
            if (!keel_tag_is_error(keel_wait(KEEL_TIMEOUT_NEVER, &label)) && label == DEV_LABEL) {
                vmmio_irq_taken(&dev);
            }
        }
        for (unsigned i = 0; i < link_count; i++) {
            if (links[i].served && !links[i].broken) {
                __atomic_store_n(&links[i].hdr->driver_idle, 0, __ATOMIC_RELAXED);
            }
        }
    }
}

// SPDX-License-Identifier: MIT
/*
 * Split virtqueues, device side: enabling a queue, taking chains from the available ring,
 * returning them through the used ring, and deciding when the driver wants an interrupt. The
 * design and the rules checked on guest data are in <virtio/virtq.h>.
 *
 * Memory ordering (the driver runs on other CPUs and shares the rings with no lock):
 *  - pop: the available index is loaded with acquire, so the ring entry and descriptors read
 *    after it are at least as new as the index;
 *  - push: the used element and the data written into the buffers are released before the used
 *    index that publishes them;
 *  - interrupt decision and EVENT_IDX notification request: a full fence between publishing our
 *    index and reading the driver's, pairing with the driver's fence in the opposite direction,
 *    so that one side always sees the other's latest step (no lost interrupt or notification).
 */
#include <virtio/virtq.h>
#include <format.h>
#include <stdarg.h>

void virtq_init(struct virtq *q, struct virtio_env *env, uint16_t index)
{
    q->env = env;
    q->index = index;
    virtq_reset(q);
}

void virtq_reset(struct virtq *q)
{
    q->num = VIRTQ_MAX_SIZE;
    q->desc_gpa = q->avail_gpa = q->used_gpa = 0;
    q->ready = q->broken = q->event_idx = q->indirect = false;
    q->desc = NULL;
    q->avail = NULL;
    q->used = NULL;
    q->last_avail = q->used_idx = q->signalled_used = 0;
}

bool virtq_size_ok(uint64_t num)
{
    return num != 0 && num <= VIRTQ_MAX_SIZE && (num & (num - 1)) == 0;
}

void virtq_fail(struct virtq *q, const char *fmt, ...)
{
    char msg[128];
    va_list ap;
    va_start(ap, fmt);
    vsnformat(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    virtio_env_log(q->env, "queue %u: %s", q->index, msg);
    q->broken = true;
    q->ready = false;
}

/* Maps one of the queue's areas: inside RAM and aligned, in guest-physical and VMM addresses. */
static void *map_area(struct virtq *q, const char *what, uint64_t gpa, uint64_t size,
                      unsigned align)
{
    void *p = virtio_env_gpa(q->env, gpa, size);
    if (p == NULL || ((gpa | (uintptr_t)p) & (align - 1)) != 0) {
        virtq_fail(q, "%s area at 0x%llx (0x%llx bytes) is %s", what, (unsigned long long)gpa,
                   (unsigned long long)size, p == NULL ? "outside RAM" : "misaligned");
        return NULL;
    }
    return p;
}

bool virtq_enable(struct virtq *q, bool event_idx, bool indirect)
{
    if (!virtq_size_ok(q->num)) {
        virtq_fail(q, "bad queue size %u", q->num);
        return false;
    }
    /* Sizes from virtio 1.2 §2.7 (Virtqueue Part sizes), event fields included. */
    q->desc = map_area(q, "descriptor", q->desc_gpa, 16ull * q->num, 16);
    q->avail = q->desc ? map_area(q, "driver", q->avail_gpa, 6 + 2ull * q->num, 2) : NULL;
    q->used = q->avail ? map_area(q, "device", q->used_gpa, 6 + 8ull * q->num, 4) : NULL;
    if (q->used == NULL) {
        return false;
    }
    q->event_idx = event_idx;
    q->indirect = indirect;
    q->last_avail = q->used_idx = q->signalled_used = 0;
    q->ready = true;
    return true;
}

/* One descriptor, loaded once: the guest may rewrite the table while we use the copy. */
static struct vring_desc desc_load(const struct vring_desc *d)
{
    return (struct vring_desc){
        .addr = __atomic_load_n(&d->addr, __ATOMIC_RELAXED),
        .len = __atomic_load_n(&d->len, __ATOMIC_RELAXED),
        .flags = __atomic_load_n(&d->flags, __ATOMIC_RELAXED),
        .next = __atomic_load_n(&d->next, __ATOMIC_RELAXED),
    };
}

/* Adds descriptor d (number i of its table) to the chain as a readable or writable segment. */
static bool add_segment(struct virtq *q, struct virtq_chain *c, uint32_t i,
                        const struct vring_desc *d)
{
    bool writable = (d->flags & VRING_DESC_F_WRITE) != 0;
    if (d->len == 0) {
        return true; /* nothing to transfer */
    }
    if (!writable && c->nw != 0) {
        virtq_fail(q, "descriptor %u: device-readable after device-writable", i);
        return false;
    }
    if (c->nr + c->nw == VIRTQ_MAX_SEGS) {
        virtq_fail(q, "chain at %u has more than %u buffers", c->head, VIRTQ_MAX_SEGS);
        return false;
    }
    if (c->rlen + c->wlen + d->len > UINT32_MAX) {
        /* The used ring counts a chain's bytes in 32 bits; buffers may overlap, so a chain of
         * many could otherwise describe far more than guest RAM. */
        virtq_fail(q, "chain at %u longer than 4 GiB", c->head);
        return false;
    }
    void *p = virtio_env_gpa(q->env, d->addr, d->len);
    if (p == NULL) {
        virtq_fail(q, "descriptor %u: buffer 0x%llx+0x%x outside RAM", i,
                   (unsigned long long)d->addr, d->len);
        return false;
    }
    q->segs[c->nr + c->nw] = (struct virtq_seg){ .ptr = p, .len = d->len };
    if (writable) {
        c->nw++;
        c->wlen += d->len;
    } else {
        c->nr++;
        c->rlen += d->len;
    }
    return true;
}

/*
 * Switches the walk to the indirect table that descriptor d (number i) names: a chain may end
 * in one such descriptor (virtio 1.2 §2.7.5.3). Keel wants the table 8-byte aligned (Linux's
 * are), so each descriptor field can be loaded atomically.
 */
static const struct vring_desc *enter_indirect(struct virtq *q, uint32_t i,
                                               const struct vring_desc *d, uint32_t *size)
{
    const char *why = NULL;
    if (!q->indirect) {
        why = "indirect descriptor, feature not negotiated";
    } else if (d->flags & VRING_DESC_F_NEXT) {
        why = "indirect descriptor with NEXT";
    } else if (d->len == 0 || d->len % 16 != 0 || d->len / 16 > VIRTQ_MAX_SEGS) {
        why = "indirect table of a bad length";
    }
    const struct vring_desc *table = why ? NULL : virtio_env_gpa(q->env, d->addr, d->len);
    if (why == NULL && (table == NULL || ((d->addr | (uintptr_t)table) & 7) != 0)) {
        why = "indirect table outside RAM or misaligned";
    }
    if (why != NULL) {
        virtq_fail(q, "descriptor %u: %s (0x%llx+0x%x)", i, why, (unsigned long long)d->addr,
                   d->len);
        return NULL;
    }
    *size = d->len / 16;
    return table;
}

/* Walks the chain that starts at descriptor `head`, checking every step (see virtq.h). */
static bool walk(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
    const struct vring_desc *table = q->desc;
    uint32_t size = q->num; /* entries in the current table */
    uint32_t ttl = size;    /* descriptors the chain may still have in this table */
    uint32_t i = head;
    bool indirect = false;

    *c = (struct virtq_chain){ .head = head, .seg = q->segs };
    for (;;) {
        if (ttl-- == 0) {
            virtq_fail(q, "chain at %u longer than its table (%u): a loop?", head, size);
            return false;
        }
        struct vring_desc d = desc_load(&table[i]);
        if (d.flags & VRING_DESC_F_INDIRECT) {
            if (indirect) {
                virtq_fail(q, "descriptor %u: indirect inside an indirect table", i);
                return false;
            }
            table = enter_indirect(q, i, &d, &size);
            if (table == NULL) {
                return false;
            }
            indirect = true;
            ttl = size;
            i = 0;
            continue;
        }
        if (!add_segment(q, c, i, &d)) {
            return false;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            return true;
        }
        if (d.next >= size) {
            virtq_fail(q, "descriptor %u: next %u beyond the table (%u)", i, d.next, size);
            return false;
        }
        i = d.next;
    }
}

static uint16_t avail_idx(const struct virtq *q)
{
    return __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
}

bool virtq_pop(struct virtq *q, struct virtq_chain *c)
{
    if (!q->ready || q->broken) {
        return false;
    }
    uint16_t avail = avail_idx(q);
    if (avail == q->last_avail) {
        if (!q->event_idx) {
            return false;
        }
        /* Ask for a notification at the next chain, then look again: the driver may have added
         * one before it could see the request. */
        __atomic_store_n((uint16_t *)&q->used->ring[q->num], q->last_avail, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        avail = avail_idx(q);
        if (avail == q->last_avail) {
            return false;
        }
    }
    if ((uint16_t)(avail - q->last_avail) > q->num) {
        virtq_fail(q, "available index jumped from %u to %u (size %u)", q->last_avail, avail,
                   q->num);
        return false;
    }
    uint16_t head = __atomic_load_n(&q->avail->ring[q->last_avail % q->num], __ATOMIC_RELAXED);
    if (head >= q->num) {
        virtq_fail(q, "available entry %u names descriptor %u (size %u)", q->last_avail, head,
                   q->num);
        return false;
    }
    if (!walk(q, head, c)) {
        return false;
    }
    q->last_avail++;
    return true;
}

void virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t written)
{
    struct vring_used_elem *e = &q->used->ring[q->used_idx % q->num];
    __atomic_store_n(&e->id, c->head, __ATOMIC_RELAXED);
    __atomic_store_n(&e->len, written <= c->wlen ? written : (uint32_t)c->wlen, __ATOMIC_RELAXED);
    /* The element, and the data written into the chain's buffers, before the index. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->used_idx++;
    __atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELAXED);
}

bool virtq_need_interrupt(struct virtq *q)
{
    uint16_t old = q->signalled_used, now = q->used_idx;
    if (q->avail == NULL || old == now) {
        return false;
    }
    q->signalled_used = now;
    /* Our used index before the driver's suppression state (see the top of this file). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (q->event_idx) {
        uint16_t used_event = __atomic_load_n(&q->avail->ring[q->num], __ATOMIC_RELAXED);
        return vring_need_event(used_event, now, old);
    }
    return !(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
}

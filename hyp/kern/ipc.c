// SPDX-License-Identifier: MIT
/*
 * IPC (see keel/ipc.h). States and who moves them, all under the big kernel lock:
 *
 *   sender ──(receiver not waiting)──> SEND, queued in receiver->senders
 *   receiver picks a queued sender ──> copies, then sender READY (send) or RECV from it (call)
 *   sender finds receiver in RECV ───> copies, receiver READY; sender READY or RECV (call)
 *   reply ───────────────────────────> caller in RECV with partner == replier: copies, READY
 *   timeout / cancel / partner death ─> ipc_abort(): READY with an error
 */
#include <keel/ipc.h>
#include <keel/pt_walk.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/vcpu_user.h>
#include <keel/irq.h>
#include <keel/timeout.h>
#include <keel/printk.h>
#include <keel/arch/timer.h>
#include <keel/arch/irqchip.h>
#include <uapi/keel/syscall.h>
#include <uapi/keel/fpage.h>
#include <uapi/keel/err.h>

static void arm_timeout(struct thread *t, uint32_t us)
{
    if (us != KEEL_TIMEOUT_NEVER) {
        timeout_arm(&t->timeout, t->cpu, arch_timer_now() + timeout_ticks_from_us(us));
        if (t->cpu == this_cpu()) {
            sched_program_timer();
        } else {
            sched_poke(t->cpu); /* its CPU re-arms when it schedules */
        }
    }
}

/* Ends t's wait, whatever it waited for: the one place a wait's links are undone. */
static void wake(struct thread *t, int err)
{
    t->ipc_error = err;
    timeout_disarm(&t->timeout);
    if (list_linked(&t->send_link)) {
        list_remove(&t->send_link);
    }
    struct thread *p = thread_partner(t);
    if (p && p->reply_to == t) {
        p->reply_to = NULL; /* its caller waits no more: the reply capability goes */
    }
    kobj_link_clear(&t->partner);
    t->recv_open = false;
    sched_ready(t);
}

/* Blocks self in state st until someone wakes it; returns the result they left. */
static int block(struct thread *self, enum thread_state st, uint32_t timeout)
{
    if (self->state == TS_DEAD) {
        panic("ipc: a dead thread would block"); /* ipc_send / ipc_receive refuse it first */
    }
    self->state = st;
    sched_remove(self);
    arm_timeout(self, timeout);
    schedule();
    return self->ipc_error;
}

static bool in_window(uint64_t base, uint64_t size, uint64_t limit)
{
    return base < limit && size <= limit - base;
}

/* A preemption point of a long map (Task MAP; ipc_map_fpage keeps src and dst in memory): false
 * when either died meanwhile, or the caller did (what is mapped stays: a teardown takes it). */
static bool map_preempt(struct task *src, struct task *dst)
{
    sched_preempt();
    return !src->obj.dying && !dst->obj.dying && this_cpu()->current->state == TS_READY;
}

/* A flexpage placed in a window: what it maps from where to where. */
struct fpage_span {
    unsigned kind, rights;
    uint64_t sbase, dbase, size; /* bytes (memory) or slots (capabilities) */
};

/* Checks fp against window and places it by hotspot as L4 does; nothing changes yet. */
static int fpage_place(uint64_t fp, uint64_t window, uint64_t hotspot, struct fpage_span *sp)
{
    unsigned kind = keel_fpage_kind(fp);
    unsigned so = keel_fpage_order(fp), wo = keel_fpage_order(window);
    if (kind != keel_fpage_kind(window) || so > 48 || wo > 48) {
        return -KEEL_EINVAL;
    }
    if (kind == KEEL_FP_MEM && (so < PAGE_SHIFT || wo < PAGE_SHIFT)) {
        return -KEEL_EINVAL;
    }
    if (kind != KEEL_FP_MEM && kind != KEEL_FP_CAP) {
        return -KEEL_EINVAL;
    }
    uint64_t sbase = kind == KEEL_FP_MEM ? keel_fpage_base(fp) : keel_fpage_cap_index(fp);
    uint64_t wbase = kind == KEEL_FP_MEM ? keel_fpage_base(window) : keel_fpage_cap_index(window);
    uint64_t ssize = 1ull << so, wsize = 1ull << wo;
    if ((sbase & (ssize - 1)) || (wbase & (wsize - 1))) {
        return -KEEL_EINVAL; /* flexpages are naturally aligned */
    }
    uint64_t hot = kind == KEEL_FP_MEM ? hotspot : hotspot >> 12;
    uint64_t dbase = wbase, size = ssize;
    if (so <= wo) {
        dbase = wbase + (hot & (wsize - 1) & ~(ssize - 1));
    } else {
        sbase += hot & (ssize - 1) & ~(wsize - 1);
        size = wsize;
    }
    *sp = (struct fpage_span){ .kind = kind, .rights = keel_fpage_rights(fp) & keel_fpage_rights(window),
                               .sbase = sbase, .dbase = dbase, .size = size };
    return 0;
}

/* Maps the pages of sp present in src. preemptible (Task MAP): in steps with preemption points,
 * and a mapping at the destination that was passed on is revoked first, in steps too; not
 * (an IPC item): such a mapping is refused (EBUSY), so the work is the span's pages alone. */
static int map_mem(struct task *src, struct task *dst, const struct fpage_span *sp, bool grant,
                   bool preemptible)
{
    uint64_t sbase = sp->sbase, dbase = sp->dbase, size = sp->size;
    if (!in_window(sbase, size, memspace_va_limit(&src->mem)) ||
        !in_window(dbase, size, memspace_va_limit(&dst->mem))) {
        return -KEEL_ERANGE;
    }
    if (task_in_utcb_area(dst, va_init(dbase), size)) {
        return -KEEL_EINVAL;
    }
    vaddr_t sva = va_init(sbase), send = va_init(sbase + size);
    struct mem_map *m;
    unsigned budget = KOBJ_WORK_STEP;
    /* Holes in the source stay holes (absent tables cost nothing; empty slots are looked at, a
     * unit per 32 when preemptible; an IPC's span is at most 512 pages). After a preemption point
     * the walk looks again at the same address: the source may have changed. */
    for (;;) {
        m = memspace_next_bounded(&src->mem, &sva, send, preemptible ? &budget : NULL);
        if (!m && va_val(sva) >= va_val(send)) {
            break;
        }
        vaddr_t dva = va_init(dbase + (va_val(sva) - sbase));
        if (!m || (preemptible && !mapdb_spend(&budget))) {
            if (!map_preempt(src, dst)) {
                return -KEEL_ECANCELED;
            }
            budget = KOBJ_WORK_STEP;
            continue;
        }
        /* A block goes on as the largest part of it (all of it, 2 MiB, a page) that both sides
         * are aligned to and the span has all of (a grant splits the block first: its record
         * moves whole). */
        uint64_t off = va_val(sva) - va_val(m->va);
        unsigned level = m->level;
        while (level > 0 && !(va_is_aligned(sva, pt_level_size(level)) &&
                              va_is_aligned(dva, pt_level_size(level)) &&
                              pt_level_size(level) <= sbase + size - va_val(sva) &&
                              memspace_level_ok(&dst->mem, level))) {
            level--;
        }
        uint64_t step = pt_level_size(level);
        if (!(m->rights & sp->rights)) {
            sva = va_add(sva, step);
            continue;
        }
        if (grant && mapdb_revoking(&m->node)) {
            return -KEEL_EBUSY; /* it would carry a revocation's mark away */
        }
        if (grant && level < m->level) {
            if (!preemptible && m->node.child) {
                return -KEEL_EBUSY; /* the split would move what was mapped from it too */
            }
            int r = memspace_split(m, preemptible ? &budget : NULL);
            if (r < 0) {
                return r;
            }
            if (r == 0) {
                budget = 0; /* a preemption point next, then this address again */
            }
            continue; /* and this address again, a page once split */
        }
        pfn_t pfn = pfn_init(pfn_val(m->pfn) + (off >> PAGE_SHIFT));
        if (!preemptible && memspace_map_revokes(&dst->mem, dva, level, m, pfn, grant)) {
            return -KEEL_EBUSY;
        }
        /* Task MAP: what is in the destination range goes first, in steps, so that the map
         * itself finds it empty. */
        if (preemptible && !memspace_clear_for_map(&dst->mem, dva, level, m, pfn, grant, &budget)) {
            budget = 0; /* a preemption point next, then this address again */
            continue;
        }
        int err = grant ? memspace_grant(&dst->mem, dva, m, sp->rights)
                        : memspace_map(&dst->mem, dva, pfn, level, m->rights & sp->rights, m);
        if (err) {
            return err;
        }
        if (preemptible && level > 0) {
            /* A block: its tables and records count as 16 units. */
            budget = budget > 15 ? budget - 15 : 0;
        }
        sva = va_add(sva, step);
    }
    return 0;
}

/* Capabilities as map_mem maps pages: a slot whose capability was passed on is emptied first in
 * steps (preemptible) or refused (EBUSY). */
static int map_caps(struct task *src, struct task *dst, const struct fpage_span *sp, bool grant,
                    bool preemptible)
{
    /* Source slots beyond the object space do not exist: holes, not 2^48 loop steps. */
    uint64_t sidx = sp->sbase, didx = sp->dbase, count = sp->size;
    count = sidx >= OBJSPACE_MAX_CAPS ? 0 : count < OBJSPACE_MAX_CAPS - sidx ? count
                                                                           : OBJSPACE_MAX_CAPS - sidx;
    unsigned budget = KOBJ_WORK_STEP;
    for (uint64_t i = 0; i < count;) {
        if (preemptible && !mapdb_spend(&budget)) {
            if (!map_preempt(src, dst)) {
                return -KEEL_ECANCELED;
            }
            budget = KOBJ_WORK_STEP;
            continue; /* and this slot again */
        }
        struct cap *s = objspace_lookup(&src->caps, sidx + i);
        if (!s || !s->obj || !(s->rights & KEEL_CAP_S)) {
            i++;
            continue; /* empty, or not to be passed on */
        }
        int err = 0;
        struct cap *d = objspace_slot(&dst->caps, didx + i, &err);
        if (!d) {
            return err;
        }
        if (d == s) {
            i++;
            continue; /* onto itself */
        }
        if (grant && s->node.child) {
            return -KEEL_EBUSY; /* a grant moves the node: what came from it would change parent */
        }
        if ((err = grant ? 0 : mapdb_may_link(&s->node))) {
            return err; /* too deep, or s is being revoked */
        }
        if (d->obj) {
            if (mapdb_derives_from(&s->node, &d->node)) {
                return -KEEL_EEXIST;
            }
            if (d->node.child) {
                if (!preemptible) {
                    return -KEEL_EBUSY;
                }
                uint64_t at = didx + i;
                if (!objspace_unmap_bounded(&dst->caps, &at, at + 1, false, &budget)) {
                    budget = 0;
                    continue;
                }
            }
            cap_release(d); /* no children now: one step */
        }
        if (grant) {
            cap_move(d, s);
            d->rights &= sp->rights | ~(uint32_t)KEEL_CAP_ALL; /* rights only shrink */
        } else {
            cap_derive(d, s, sp->rights);
        }
        i++;
    }
    return 0;
}

static int map_span(struct task *src, struct task *dst, const struct fpage_span *sp, bool grant,
                    bool preemptible)
{
    return sp->kind == KEEL_FP_MEM ? map_mem(src, dst, sp, grant, preemptible)
                                   : map_caps(src, dst, sp, grant, preemptible);
}

int ipc_map_fpage(struct task *src, uint64_t fp, struct task *dst, uint64_t window,
                  uint64_t hotspot, bool grant, bool preemptible)
{
    struct fpage_span sp;
    int err = fpage_place(fp, window, hotspot, &sp);
    if (err) {
        return err;
    }
    /* Across its preemption points both tasks stay in memory however the map ends. */
    kobj_get(&src->obj);
    kobj_get(&dst->obj);
    err = map_span(src, dst, &sp, grant, preemptible);
    kobj_put(&src->obj);
    kobj_put(&dst->obj);
    return err;
}

/* A message's typed items, taken from the sender's registers once (its other threads may
 * write them meanwhile), all checked and placed before any is carried out, and at most
 * KEEL_ITEMS_MAX_PAGES pages and KEEL_ITEMS_MAX_CAPS slots in all: an IPC has no preemption
 * point, so its work must be bounded (EMSGSIZE beyond; Task MAP has no such limit). */
struct items {
    unsigned count;
    uint64_t word[KEEL_MR_COUNT]; /* control word, flexpage; ... */
    uint64_t window[3];           /* the receiver's window by kind (0: none) */
};

static int item_place(const struct items *it, unsigned i, struct fpage_span *sp)
{
    uint64_t ctl = it->word[2 * i], fp = it->word[2 * i + 1];
    unsigned kind = keel_fpage_kind(fp);
    uint64_t window = kind == KEEL_FP_MEM || kind == KEEL_FP_CAP ? it->window[kind] : 0;
    if (keel_fpage_kind(window) != kind) {
        return -KEEL_ENOENT; /* no receive window for this kind of item */
    }
    return fpage_place(fp, window, ctl & ~0xfffull, sp);
}

/* What map_mem and map_caps would refuse on the way, asked before anything is mapped. */
static int span_check(struct task *src, struct task *dst, const struct fpage_span *sp)
{
    if (sp->kind == KEEL_FP_MEM) {
        if (!in_window(sp->sbase, sp->size, memspace_va_limit(&src->mem)) ||
            !in_window(sp->dbase, sp->size, memspace_va_limit(&dst->mem))) {
            return -KEEL_ERANGE;
        }
        return task_in_utcb_area(dst, va_init(sp->dbase), sp->size) ? -KEEL_EINVAL : 0;
    }
    for (uint64_t i = 0; i < sp->size; i++) { /* (at most KEEL_ITEMS_MAX_CAPS) */
        struct cap *s = objspace_lookup(&src->caps, sp->sbase + i);
        uint64_t d = sp->dbase + i;
        if (s && s->obj && (s->rights & KEEL_CAP_S) && (d == 0 || d >= OBJSPACE_MAX_CAPS)) {
            return -KEEL_ERANGE; /* no such slot to receive it */
        }
    }
    return 0;
}

static int items_check(const struct items *it, struct task *src, struct task *dst)
{
    uint64_t pages = 0, slots = 0;
    for (unsigned i = 0; i < it->count; i++) {
        struct fpage_span sp;
        int err = item_place(it, i, &sp);
        if (err) {
            return err;
        }
        if (sp.kind == KEEL_FP_MEM) {
            pages += sp.size >> PAGE_SHIFT;
        } else {
            slots += sp.size;
        }
        if (pages > KEEL_ITEMS_MAX_PAGES || slots > KEEL_ITEMS_MAX_CAPS) {
            return -KEEL_EMSGSIZE;
        }
        if ((err = span_check(src, dst, &sp))) {
            return err;
        }
    }
    return 0;
}

/* Carries out item i (checked by items_check). */
static int item_map(struct task *src, struct task *dst, const struct items *it, unsigned i)
{
    struct fpage_span sp;
    int err = item_place(it, i, &sp);
    return err ? err : map_span(src, dst, &sp, it->word[2 * i] & KEEL_ITEM_GRANT, false);
}

/* The page-fault reply: map items into the faulter's whole address space. */
static int transfer_to_kernel_ipc(struct thread *snd, struct thread *rcv, uint64_t tag)
{
    const uint64_t *mr = snd->utcb->mr;
    unsigned words = keel_tag_words(tag), items = keel_tag_items(tag);
    if (rcv->kipc == KIPC_EXCEPTION && words >= 2 && keel_tag_label(tag) >= 0) {
        thread_set_regs(rcv, mr[0], mr[1]);
    }
    struct items it; /* (not zeroed as a whole: an IPC path) */
    it.count = 0;
    it.window[KEEL_FP_MEM] = keel_fpage_mem(0, 39, KEEL_FP_RWX);
    for (unsigned i = 0; i < items; i++) {
        uint64_t ctl = mr[words + 2 * i], fp = mr[words + 2 * i + 1];
        if (keel_fpage_kind(fp) == KEEL_FP_MEM) { /* (capability items: not for the kernel) */
            it.word[2 * it.count] = ctl;
            it.word[2 * it.count++ + 1] = fp;
        }
    }
    int err = items_check(&it, snd->task, rcv->task);
    for (unsigned i = 0; !err && i < it.count; i++) {
        err = item_map(snd->task, rcv->task, &it, i);
    }
    if (err) {
        return err;
    }
    rcv->rcv_tag = tag;
    return 0;
}

/* Copies snd's message into rcv and carries out its typed items. */
static int transfer(struct thread *snd, struct thread *rcv, uint64_t tag, uint64_t label)
{
    unsigned words = keel_tag_words(tag), items = keel_tag_items(tag);
    if (words + 2 * items > KEEL_MR_COUNT) {
        return -KEEL_EMSGSIZE;
    }
    if (rcv->kipc != KIPC_NONE && thread_waits_on(rcv, snd)) {
        return transfer_to_kernel_ipc(snd, rcv, tag);
    }
    const uint64_t *src = snd->kipc != KIPC_NONE ? snd->kipc_msg : snd->utcb->mr;
    struct items it; /* (not zeroed as a whole: the IPC path) */
    it.count = items;
    it.window[KEEL_FP_MEM] = rcv->utcb->br[KEEL_BR_MEM];
    it.window[KEEL_FP_CAP] = rcv->utcb->br[KEEL_BR_CAP];
    for (unsigned i = 0; i < 2 * items; i++) {
        it.word[i] = src[words + i];
    }
    int err = items ? items_check(&it, snd->task, rcv->task) : 0;
    if (err) {
        return err;
    }
    uint64_t *dst = rcv->utcb->mr;
    for (unsigned i = 0; i < words; i++) {
        dst[i] = src[i];
    }
    for (unsigned i = 0; i < 2 * items; i++) {
        dst[words + i] = it.word[i];
    }
    rcv->rcv_tag = tag & ~(uint64_t)KEEL_TAG_ERROR;
    rcv->rcv_label = label;
    rcv->utcb->tcr[KEEL_TCR_ITEMS_RCVD] = 0;
    for (unsigned i = 0; i < items; i++) {
        if ((err = item_map(snd->task, rcv->task, &it, i))) {
            return err;
        }
        rcv->utcb->tcr[KEEL_TCR_ITEMS_RCVD]++;
    }
    return 0;
}

/* dst accepts a message from snd right now. */
static bool accepts(struct thread *dst, struct thread *snd)
{
    return dst->state == TS_RECV && (dst->recv_open || thread_waits_on(dst, snd));
}

/* After a successful call's send: wait for the callee's reply. */
static int await_reply(struct thread *self, struct thread *callee, uint32_t rcv_timeout)
{
    int err = kobj_link_set(&self->partner, &callee->obj);
    if (err) {
        /* The items just delivered took the callee's last capability (a capability item into
         * its own window): its message went, but no reply will come. */
        return err;
    }
    callee->reply_to = self;
    return block(self, TS_RECV, rcv_timeout);
}

int ipc_send(struct thread *self, struct thread *dst, uint64_t tag, uint64_t label,
             uint32_t snd_timeout, bool call, uint32_t rcv_timeout)
{
    if (self->state == TS_DEAD) {
        return -KEEL_ECANCELED; /* killed while in the kernel (a vCPU leaving its guest): no IPC */
    }
    if (!dst->utcb || dst->obj.dying || dst->state == TS_INACTIVE) {
        return -KEEL_ENOENT;
    }
    if (accepts(dst, self)) {
        int err = transfer(self, dst, tag, label);
        wake(dst, err);
        if (err || !call) {
            return err;
        }
        return await_reply(self, dst, rcv_timeout);
    }
    if (snd_timeout == KEEL_TIMEOUT_ZERO) {
        return -KEEL_ETIMEOUT;
    }
    self->send_tag = tag;
    self->send_label = label;
    self->send_call = call;
    self->call_rcv_timeout = rcv_timeout;
    int err = kobj_link_set(&self->partner, &dst->obj);
    if (err) {
        return err;
    }
    list_push_back(&dst->senders, &self->send_link);
    return block(self, TS_SEND, snd_timeout);
}

/* Takes a queued sender's message (the sender blocked in ipc_send). */
static int take_from_sender(struct thread *self, struct thread *s)
{
    list_remove(&s->send_link);
    timeout_disarm(&s->timeout);
    int err = transfer(s, self, s->send_tag, s->send_label);
    if (!err && s->send_call) {
        s->state = TS_RECV; /* stays blocked, now waiting for the reply */
        self->reply_to = s;
        arm_timeout(s, s->call_rcv_timeout);
        return 0;
    }
    wake(s, err);
    return err;
}

static bool take_irq(struct thread *self, struct irq *only)
{
    struct list *l;
    list_for_each(l, &self->pending_irqs) {
        struct irq *q = container_of(l, struct irq, pending_link);
        if (!only || q == only) {
            list_remove(&q->pending_link);
            self->rcv_tag = keel_tag(0, 0, 0);
            self->rcv_label = q->label;
            return true;
        }
    }
    return false;
}

int ipc_receive(struct thread *self, struct thread *from, struct irq *irq, uint32_t timeout)
{
    if (self->state == TS_DEAD) {
        return -KEEL_ECANCELED;
    }
    if (!from && take_irq(self, irq)) {
        return 0;
    }
    if (!irq) {
        struct list *l;
        list_for_each(l, &self->senders) {
            struct thread *s = container_of(l, struct thread, send_link);
            if (!from || s == from) {
                return take_from_sender(self, s);
            }
        }
    }
    if (timeout == KEEL_TIMEOUT_ZERO) {
        return -KEEL_ETIMEOUT;
    }
    struct kobj *on = from ? &from->obj : irq ? &irq->obj : NULL;
    if (on) {
        int err = kobj_link_set(&self->partner, on);
        if (err) {
            return err; /* a dead thread sends nothing any more */
        }
    }
    self->recv_open = !on;
    return block(self, TS_RECV, timeout);
}

int ipc_reply(struct thread *self, uint64_t tag)
{
    struct thread *c = self->reply_to;
    self->reply_to = NULL;
    if (!c || c->state != TS_RECV || !thread_waits_on(c, self)) {
        return -KEEL_ENOENT;
    }
    int err = transfer(self, c, tag, 0);
    c->rcv_label = 0;
    wake(c, err);
    return err;
}

void ipc_abort(struct thread *t, int err)
{
    if (t->state != TS_SEND && t->state != TS_RECV) {
        return;
    }
    wake(t, err);
}

void ipc_notify_irq(struct thread *t, struct irq *irq)
{
    if (t->state == TS_RECV && (t->recv_open || t->partner.to == &irq->obj)) {
        t->rcv_tag = keel_tag(0, 0, 0);
        t->rcv_label = irq->label;
        wake(t, 0);
        return;
    }
    if (!list_linked(&irq->pending_link)) {
        list_push_back(&t->pending_irqs, &irq->pending_link);
    }
    if (t->vcpu.vm) {
        sched_kick(t); /* a vCPU running its guest elsewhere leaves it to see this */
    } else if (t->vcpu.user) {
        vcpu_user_notify(t); /* plain vCPU mode: it enters at its entry point */
    }
}

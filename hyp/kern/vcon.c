// SPDX-License-Identifier: MIT
// The Vcon object: the kernel console for user level (write bytes, poll for input).
#include <keel/console.h>
#include <keel/task.h>
#include <keel/thread.h>
#include <keel/printk.h>
#include <keel/arch/timer.h>
#include <keel/kobj_call.h>
#include <uapi/keel/fpage.h>

struct kobj vcon_object = KOBJ_STATIC(vcon_object, KEEL_OBJ_VCON);

#define VCON_MAX ((KEEL_MR_COUNT - 2) * 8)
/* What one task may write, as a token bucket: a burst, then a rate. The console is shared by all
 * tasks (every VM's VMM, the root task's programs) and the kernel writes it in the system call:
 * a task that writes more has its writes dropped, whole, and counted, so it cannot keep others
 * off the console or the kernel busy with it. (A Linux guest's boot log fits the burst.) */
#define VCON_BURST (64u * 1024)
#define VCON_BYTES_PER_SEC (32u * 1024) /* three times a 115200-baud UART */

/* Whether t may write n bytes now; takes them from its bucket when it may. (A task that never
 * wrote starts with a full one.) */
static bool vcon_credit(struct task *t, uint64_t n)
{
    uint64_t now = arch_timer_now(), per_byte = arch_timer_freq() / VCON_BYTES_PER_SEC;
    uint64_t earned = per_byte && t->vcon_at ? (now - t->vcon_at) / per_byte : VCON_BURST;
    if (earned) {
        t->vcon_credit = earned >= VCON_BURST - t->vcon_credit ? VCON_BURST
                                                               : t->vcon_credit + (uint32_t)earned;
        t->vcon_at = now;
    }
    if (n > t->vcon_credit) {
        return false;
    }
    t->vcon_credit -= (uint32_t)n;
    return true;
}

static int64_t vcon_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    (void)o;
    switch (kmsg_op(m)) {
    case KEEL_VCON_WRITE: {
        if (!(rights & KEEL_CAP_W)) {
            return -KEEL_EPERM;
        }
        if (!kmsg_has(m, 1) || m->mr[1] > VCON_MAX || m->words < 2 + (m->mr[1] + 7) / 8) {
            return -KEEL_EINVAL;
        }
        struct task *t = m->caller->task;
        uint64_t n = m->mr[1], now = arch_timer_now();
        bool rate = vcon_credit(t, n);
        if (rate && t->vcon_dropped_unsaid && now - t->vcon_said_at >= arch_timer_freq()) {
            /* Before the write; at most once a second: the note must not flood the console. */
            printk("[vcon: %lu bytes dropped: over the rate or the console full]\n",
                   (unsigned long)t->vcon_dropped_unsaid);
            t->vcon_dropped_unsaid = 0;
            t->vcon_said_at = now;
        }
        if (!rate || (n && !console_write((const char *)&m->mr[2], n))) {
            if (rate) { /* the console's buffer is full (the UART is behind): credit back */
                t->vcon_full += n;
                t->vcon_credit += (uint32_t)n;
            }
            t->vcon_dropped += n;
            t->vcon_dropped_unsaid += n;
            n = 0;
        }
        m->mr[0] = t->vcon_dropped;
        m->mr[1] = t->vcon_full;
        m->out_words = 2;
        return (int64_t)n;
    }
    case KEEL_VCON_READ: {
        uint64_t max = kmsg_has(m, 1) ? m->mr[1] : 0;
        if (max > (KEEL_MR_COUNT * 8)) {
            return -KEEL_EINVAL;
        }
        char *bytes = (char *)&m->mr[0];
        int64_t n = 0;
        for (int c; (uint64_t)n < max && (c = console_getc()) >= 0; n++) {
            bytes[n] = (char)c;
        }
        m->out_words = (unsigned)((n + 7) / 8);
        return n;
    }
    default:
        return -KEEL_EPROTO;
    }
}

const struct kobj_ops vcon_ops = { .invoke = vcon_invoke };

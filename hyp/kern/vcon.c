// SPDX-License-Identifier: MIT
// The Vcon object: the kernel console for user level (write bytes, poll for input).
#include <keel/console.h>
#include <keel/kobj_call.h>
#include <uapi/keel/fpage.h>

struct kobj vcon_object = KOBJ_STATIC(vcon_object, KEEL_OBJ_VCON);

#define VCON_MAX ((KEEL_MR_COUNT - 2) * 8)

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
        const char *bytes = (const char *)&m->mr[2];
        for (uint64_t i = 0; i < m->mr[1]; i++) {
            console_putc(bytes[i]);
        }
        return (int64_t)m->mr[1];
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

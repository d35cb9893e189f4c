// SPDX-License-Identifier: MIT
// The Platform_control object: power off, reset, kernel memory figures.
#include <keel/kmem.h>
#include <keel/smp.h>
#include <keel/printk.h>
#include <keel/console.h>
#include <keel/kobj_call.h>
#include <keel/arch/platform.h>
#include <uapi/keel/fpage.h>

struct kobj platform_object = KOBJ_STATIC(platform_object, KEEL_OBJ_PLATFORM);

static int64_t platform_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    (void)o;
    uint64_t op = kmsg_op(m);
    if (op == KEEL_PLATFORM_KMEM) {
        m->mr[0] = kmem_free_bytes();
        m->mr[1] = kmem_total_bytes();
        m->out_words = 2;
        return 0;
    }
    if (!(rights & KEEL_CAP_W)) {
        return -KEEL_EPERM;
    }
    switch (op) {
    case KEEL_PLATFORM_POWER_OFF:
        printk("KEEL: power off\n");
        console_flush();
        arch_platform_power_off();
    case KEEL_PLATFORM_RESET:
        printk("KEEL: reset\n");
        console_flush();
        arch_platform_reset();
    case KEEL_PLATFORM_CPU_ON:
    case KEEL_PLATFORM_CPU_OFF:
        if (!kmsg_has(m, 1) || m->mr[1] > UINT32_MAX) {
            return -KEEL_ERANGE;
        }
        return op == KEEL_PLATFORM_CPU_ON ? smp_cpu_on((unsigned)m->mr[1])
                                          : smp_cpu_off((unsigned)m->mr[1]);
    default:
        return -KEEL_EPROTO;
    }
}

const struct kobj_ops platform_ops = { .invoke = platform_invoke };

// SPDX-License-Identifier: MIT
// CPUs coming and going (see keel/smp.h).
#include <keel/entry.h>
#include <keel/smp.h>
#include <keel/arch/pt.h>
#include <keel/percpu.h>
#include <keel/thread.h>
#include <keel/sched.h>
#include <keel/kmem.h>
#include <keel/bkl.h>
#include <keel/printk.h>
#include <keel/irq.h>
#include <keel/arch/cpu.h>
#include <keel/arch/irqchip.h>
#include <keel/arch/timer.h>
#include <uapi/keel/err.h>

static int start(struct percpu *c)
{
    if (!c->idle_stack) {
        c->idle_stack = kmem_page_alloc();
        if (!c->idle_stack) {
            return -KEEL_ENOMEM;
        }
    }
    return arch_cpu_start(c, (char *)c->idle_stack + PAGE_SIZE);
}

void smp_start_all(const struct boot_info *bi)
{
    uint64_t me = arch_cpu_hwid();
    unsigned next = 1;
    for (unsigned i = 0; i < bi->cpu_count && next < cpu_count; i++) {
        if (bi->cpu_hwid[i] == me) {
            continue;
        }
        struct percpu *c = &cpus[next];
        percpu_setup(c, next);
        c->hwid = bi->cpu_hwid[i];
        if (start(c) != 0) {
            printk("smp: CPU %u (hwid 0x%lx) did not start\n", next, (unsigned long)c->hwid);
        } else {
            c->starting = true;
        }
        next++;
    }
    /* Let them come up (they need the big lock for their last steps) before the root task
     * starts, so that it finds every CPU online; a CPU that does not come within a second is
     * left behind (it joins when it does). */
    uint64_t deadline = arch_timer_now() + arch_timer_freq();
    bool waiting = true;
    while (waiting && arch_timer_now() < deadline) {
        bkl_unlock();
        for (unsigned i = 0; i < 1000; i++) {
            arch_cpu_relax();
        }
        bkl_lock();
        waiting = false;
        for (unsigned i = 1; i < cpu_count; i++) {
            waiting |= cpus[i].starting;
        }
    }
}

noreturn void kern_secondary_main(void)
{
    uint64_t me = arch_cpu_hwid();
    struct percpu *c = NULL;
    for (unsigned i = 1; i < cpu_count; i++) {
        if (cpus[i].hwid == me) {
            c = &cpus[i];
        }
    }
    if (!c) {
        arch_cpu_halt();
    }
    arch_set_this_cpu(c);
    arch_cpu_init_local();
    bkl_lock();
    arch_tlb_flush_all_local(); /* back from CPU_OFF: it missed every flush meanwhile */
    arch_irq_init_cpu();
    arch_timer_init_cpu();
    c->timer_armed = UINT64_MAX;
    c->starting = false;
    printk("smp: CPU %u up\n", c->id);
    kern_idle_loop();
}

int smp_cpu_on(unsigned cpu)
{
    if (cpu == 0 || cpu >= cpu_count) {
        return -KEEL_ERANGE;
    }
    struct percpu *c = &cpus[cpu];
    if (c->online || c->starting) {
        return 0;
    }
    if (start(c) != 0) {
        return -KEEL_EBUSY; /* e.g. still finishing its CPU_OFF in the firmware */
    }
    c->starting = true;
    return 0;
}

int smp_cpu_off(unsigned cpu)
{
    if (cpu == 0 || cpu >= cpu_count) {
        return -KEEL_ERANGE;
    }
    struct percpu *c = &cpus[cpu];
    if (!c->online) {
        return 0;
    }
    c->online = false;
    irq_direct_cpu_off(cpu);
    /* Its threads go to CPU 0 whatever their Scheduler's CPU mask: taking a CPU away is the
     * root task's (Platform_control), which then places them again where it wants. */
    while (!list_empty(&c->homed)) {
        sched_migrate(container_of(c->homed.next, struct thread, home_link), &cpus[0]);
    }
    sched_poke(c);
    return 0;
}

noreturn void smp_stop_this_cpu(void)
{
    struct percpu *c = this_cpu();
    arch_timer_set_deadline(UINT64_MAX);
    c->timer_armed = UINT64_MAX;
    sched_poke_done(c); /* nothing to send again to a CPU that is off */
    printk("smp: CPU %u off\n", c->id);
    bkl_unlock();
    arch_cpu_stop();
}

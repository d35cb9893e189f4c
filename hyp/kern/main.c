// SPDX-License-Identifier: MIT
/*
 * The boot order: console, boot information, kernel translation, physical memory split (kernel
 * pool vs user memory), interrupt controller and timer, the root task, the other CPUs, and then
 * each CPU's idle loop.
 */
#include <keel/entry.h>
#include <keel/boot_info.h>
#include <keel/console.h>
#include <keel/printk.h>
#include <keel/kmem.h>
#include <keel/phys.h>
#include <keel/percpu.h>
#include <keel/thread.h>
#include <keel/sched.h>
#include <keel/arch/pt.h>
#include <keel/bkl.h>
#include <keel/factory.h>
#include <keel/root_task.h>
#include <keel/smp.h>
#include <keel/timeout.h>
#include <keel/arch/boot.h>
#include <keel/arch/cpu.h>
#include <keel/arch/platform.h>
#include <keel/arch/irqchip.h>
#include <keel/arch/timer.h>
#include <arch/mmu.h>
#include <libfdt.h>

#define KMEM_MIN (8ull << 20)
#define KMEM_MAX (512ull << 20)

extern char _head_start[], _image_end[];

struct percpu cpus[KEEL_MAX_CPUS];
unsigned cpu_count;
struct ticket_lock bkl;

uint32_t bkl_sleepers;

/* Wakes the sleeper whose turn it is: the others sleep on until theirs (or their bound). */
void bkl_wake_sleepers(uint32_t owner)
{
    uint32_t s = __atomic_load_n(&bkl_sleepers, __ATOMIC_RELAXED);
    for (unsigned i = 0; s; i++, s >>= 1) {
        if ((s & 1) && __atomic_load_n(&cpus[i].bkl_ticket, __ATOMIC_RELAXED) == owner) {
            arch_irq_send_ipi(i); /* (taken in its sleep; late, as a needless reschedule) */
        }
    }
}

/* After BKL_SPIN_US of waiting, the holder is likely not running: under an emulator (QEMU's
 * CPUs are host threads) the host preempted it, and a waiter that spins on keeps the host CPU
 * from it for the rest of its time slice (a Linux guest with two vCPUs on two CPUs booted in 58 s
 * instead of 1 s, QEMU on one host CPU). So the waiter sleeps until bkl_unlock's IPI (or
 * sched_ask's), or for BKL_SLEEP_MAX_US at most: a lost wake-up costs that, never a hang. Its
 * timer is set to that bound (a deadline already due would end every sleep at once: it is put
 * back when the lock is ours, and then taken as usual). */
#define BKL_SPIN_US 20
#define BKL_SLEEP_MAX_US 1000

static void bkl_sleep(struct percpu *c, uint32_t me)
{
    uint32_t bit = 1u << c->id;
    arch_cpu_sleep_prepare();
    /* Publish, fence, look again (as bkl_unlock stores, fences, looks): or the unlock could
     * pass unseen between our look and our sleep. */
    __atomic_store_n(&c->bkl_ticket, me, __ATOMIC_RELAXED);
    __atomic_fetch_or(&bkl_sleepers, bit, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&bkl.owner, __ATOMIC_RELAXED) != me &&
        !__atomic_load_n(&c->asked, __ATOMIC_RELAXED)) {
        uint64_t now = arch_timer_now(), wake = now + timeout_ticks_from_us(BKL_SLEEP_MAX_US);
        if (c->timer_armed > now && c->timer_armed < wake) {
            wake = c->timer_armed; /* (a tick due within the bound: it ends the sleep) */
        }
        arch_timer_set_deadline(wake); /* (the timer is this CPU's own: no lock needed) */
        arch_cpu_sleep();
    }
    __atomic_fetch_and(&bkl_sleepers, ~bit, __ATOMIC_RELAXED);
}

__attribute__((noinline)) void bkl_wait(uint32_t me)
{
    struct percpu *c = this_cpu();
    /* online: its interrupt controller and timer are set up (a CPU coming up or going off spins) */
    bool may_sleep = c->online && arch_cpu_sleep_works(), slept = false;
    uint64_t sleep_at = may_sleep ? arch_timer_now() + timeout_ticks_from_us(BKL_SPIN_US) : 0;
    while (__atomic_load_n(&bkl.owner, __ATOMIC_ACQUIRE) != me) {
        unsigned asked = __atomic_load_n(&c->asked, __ATOMIC_ACQUIRE);
        if (asked) { /* the holder waits for it (sched_ask) */
            if (asked & SCHED_ASK_TLB_FLUSH) {
                arch_tlb_flush_all_local();
            }
            __atomic_fetch_and(&c->asked, ~asked, __ATOMIC_RELEASE);
        }
        if (may_sleep && arch_timer_now() >= sleep_at) {
            bkl_sleep(c, me);
            slept = true;
            continue;
        }
        arch_cpu_relax();
    }
    if (slept) {
        arch_timer_set_deadline(c->timer_armed); /* (one due comes at once, taken as usual) */
    }
}
static struct thread idle_threads[KEEL_MAX_CPUS];
static struct boot_info boot_info;

static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }
static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* The ranges of RAM that boot data occupies; the kernel pool must avoid them. */
static unsigned busy_ranges(const struct boot_info *bi, struct mem_range *out)
{
    unsigned n = 0;
    out[n++] = (struct mem_range){ pa_from_kva(_head_start), (uint64_t)(_image_end - _head_start) };
    if (bi->fdt) {
        out[n++] = (struct mem_range){ pa_from_kva(bi->fdt), fdt_totalsize(bi->fdt) };
    }
    if (pa_val(bi->initrd_start)) {
        out[n++] = (struct mem_range){ bi->initrd_start,
                                       pa_val(bi->initrd_end) - pa_val(bi->initrd_start) };
    }
    for (unsigned i = 0; i < bi->reserved_count; i++) {
        out[n++] = bi->reserved[i];
    }
    return n;
}

#define GIB (1ull << 30)

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

/* How many whole GiBs of RAM neither a busy range nor [kb, ke) touches: where 1 GiB mappings of
 * user memory can go. */
static unsigned free_gibs(const struct boot_info *bi, const struct mem_range *busy, unsigned nbusy,
                          uint64_t kb, uint64_t ke)
{
    unsigned n = 0;
    for (unsigned i = 0; i < bi->mem_count; i++) {
        uint64_t e = pa_val(bi->mem[i].base) + bi->mem[i].size;
        for (uint64_t g = align_up(pa_val(bi->mem[i].base), GIB); g + GIB <= e; g += GIB) {
            bool free = !overlaps(g, g + GIB, kb, ke);
            for (unsigned b = 0; b < nbusy; b++) {
                free &= !overlaps(g, g + GIB, pa_val(busy[b].base),
                                  pa_val(busy[b].base) + busy[b].size);
            }
            n += free;
        }
    }
    return n;
}

/* Picks the kernel-memory pool: 1/8 of RAM (within bounds), at an end of a free gap: the one that
 * leaves the most whole GiBs free, else the top of the largest gap. */
static void kmem_setup(const struct boot_info *bi)
{
    struct mem_range busy[4 + BOOT_MAX_MEM_RANGES];
    unsigned nbusy = busy_ranges(bi, busy);
    struct mem_range gaps[BOOT_MAX_MEM_RANGES * (5 + BOOT_MAX_MEM_RANGES)];
    unsigned ngaps = 0, largest = 0;
    uint64_t total = 0;
    for (unsigned i = 0; i < bi->mem_count; i++) {
        total += bi->mem[i].size;
        phys_add_ram(bi->mem[i].base, bi->mem[i].size);
    }
    /* Walk each RAM range as gaps between busy ranges. */
    for (unsigned i = 0; i < bi->mem_count; i++) {
        uint64_t s = pa_val(bi->mem[i].base), e = s + bi->mem[i].size;
        uint64_t cur = s;
        while (cur < e) {
            uint64_t gap_end = e, next = e;
            for (unsigned b = 0; b < nbusy; b++) {
                uint64_t bs = align_down(pa_val(busy[b].base), PAGE_SIZE);
                uint64_t be = align_up(pa_val(busy[b].base) + busy[b].size, PAGE_SIZE);
                if (be <= cur || bs >= e) {
                    continue;
                }
                if (bs <= cur) {
                    next = be > next || next == e ? be : next;
                    gap_end = cur;
                    break;
                }
                if (bs < gap_end) {
                    gap_end = bs;
                    next = be;
                }
            }
            if (gap_end > cur && ngaps < sizeof(gaps) / sizeof(gaps[0])) {
                gaps[ngaps] = (struct mem_range){ pa_init(cur), gap_end - cur };
                largest = gaps[ngaps].size > gaps[largest].size ? ngaps : largest;
                ngaps++;
            }
            cur = next > cur ? next : e;
        }
    }
    uint64_t want = total / 8;
    want = want < KMEM_MIN ? KMEM_MIN : want > KMEM_MAX ? KMEM_MAX : want;
    want = align_down(want, 2ull << 20);
    uint64_t best_size = ngaps ? gaps[largest].size : 0;
    if (best_size < want + (2ull << 20)) {
        want = align_down(best_size / 2, PAGE_SIZE);
    }
    if (!ngaps || want < KMEM_MIN / 2) {
        panic("not enough free RAM for kernel memory");
    }
    uint64_t base = align_down(pa_val(gaps[largest].base) + best_size - want, 2ull << 20);
    unsigned most = free_gibs(bi, busy, nbusy, base, base + want);
    for (unsigned i = 0; i < ngaps; i++) {
        uint64_t gb = pa_val(gaps[i].base), ge = gb + gaps[i].size;
        uint64_t low = align_up(gb, 2ull << 20), high = align_down(ge - want, 2ull << 20);
        for (uint64_t c = low; want <= gaps[i].size && c <= high;
             c += high - low ? high - low : 1) {
            unsigned n = free_gibs(bi, busy, nbusy, c, c + want);
            if (n > most) {
                most = n;
                base = c;
            }
        }
    }
    kmem_add(kva_from_pa(pa_init(base)), want);
    phys_reserve(pa_init(base), want);
    phys_reserve(pa_from_kva(_head_start), (uint64_t)(_image_end - _head_start));
    paddr_t fdt_pa = bi->fdt ? pa_from_kva(bi->fdt) : pa_init(0);
    uint64_t fdt_size = bi->fdt ? fdt_totalsize(bi->fdt) : 0;
    for (unsigned i = 0; i < bi->reserved_count; i++) {
        if (!boot_info_is_boot_data(bi, bi->reserved[i], fdt_pa, fdt_size)) {
            phys_reserve(bi->reserved[i].base, bi->reserved[i].size);
        }
    }
    if (pa_val(bi->initrd_start)) {
        phys_keep_in_pages(bi->initrd_start, pa_val(bi->initrd_end) - pa_val(bi->initrd_start));
    }
    printk("kmem: %lu MiB at 0x%lx\n", (unsigned long)(want >> 20), (unsigned long)base);
}

void percpu_setup(struct percpu *c, unsigned id)
{
    c->id = id;
    sched_init_cpu(c);
    struct thread *idle = &idle_threads[id];
    idle->state = TS_READY;
    idle->cpu = c;
    idle->prio = 0;
    list_init(&idle->rq_link);
    list_init(&idle->senders);
    list_init(&c->homed);
    list_init(&idle->zombies);
    list_init(&idle->obj.links); /* (nothing links to an idle thread; kept consistent) */
    kobj_link_init(&idle->partner, NULL);
    c->idle = idle;
    c->current = idle;
    c->timer_armed = UINT64_MAX;
}

noreturn void kern_idle_loop(void)
{
    struct percpu *c = this_cpu();
    c->online = true;
    c->idle->ran_since = arch_timer_now(); /* idle time counts from here */
    for (;;) {
        schedule();
        kobj_reap();
        if (!c->online && c->current == c->idle) {
            smp_stop_this_cpu(); /* Platform_control CPU_OFF: its threads have moved away */
        }
        sched_poke_watch(); /* no timer otherwise may come to send a lost IPI again */
        console_poll();     /* (while some is left, schedule() armed the timer for the next go) */
        bkl_unlock();
        arch_cpu_idle();
        bkl_lock();
    }
}

/* boot_data: what the loader passed (a device tree, or multiboot information; see keel/arch/boot.h). */
noreturn void kern_main(const void *boot_data)
{
    if (!arch_boot_console(boot_data)) {
        arch_cpu_halt(); /* nowhere to say anything */
    }
    printk("\nKeel hypervisor (%s)\n", arch_name);
    if (!arch_boot_info(&boot_info, boot_data)) {
        panic("cannot read the boot information");
    }
    const void *fdt = boot_info.fdt; /* NULL without a device tree (x86_64) */
    arch_cpu_early_init(&boot_info);
    cpu_count = boot_info.cpu_count < KEEL_MAX_CPUS ? boot_info.cpu_count : KEEL_MAX_CPUS;
    percpu_setup(&cpus[0], 0);
    cpus[0].hwid = arch_cpu_hwid();
    arch_set_this_cpu(&cpus[0]);
    arch_cpu_init_local();
    bkl_lock();
    arch_platform_init(fdt);
    kmem_setup(&boot_info);
    arch_irq_init(fdt);
    arch_irq_init_cpu();
    arch_timer_init(fdt);
    arch_timer_init_cpu();
    uint64_t mem = 0;
    for (unsigned i = 0; i < boot_info.mem_count; i++) {
        mem += boot_info.mem[i].size;
    }
    printk("boot: %u CPUs, %lu MiB memory in %u ranges, initrd %lu bytes, timer %lu Hz\n",
           boot_info.cpu_count, (unsigned long)(mem >> 20), boot_info.mem_count,
           (unsigned long)(pa_val(boot_info.initrd_end) - pa_val(boot_info.initrd_start)),
           (unsigned long)arch_timer_freq());
    root_factory.quota.limit = kmem_free_bytes();
    smp_start_all(&boot_info);
    printk("KEEL BOOT OK\n");
    root_task_start(&boot_info);
    kern_idle_loop();
}

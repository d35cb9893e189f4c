// SPDX-License-Identifier: MIT
/*
 * The root task: owns all memory and the boot modules (the initrd), reads the system device tree
 * (the initrd's "system.dtb") and starts one program per node under /programs:
 *
 *   programs {
 *       hello@0 {
 *           image = "hello";              // ELF file in the initrd
 *           args = "one two";            // for the program (progenv)
 *           cpu = <0>;                   // where its thread runs (default: its first CPU)
 *           priority = <50>;             // 1..255
 *           keel,cpus = <0 1>;           // the CPUs it may use; keel,cpus-exclusive: no other
 *                                        // program may (cpus.h)
 *           keel,cpu-budget = <3000 10000>; // us of CPU time per period (us), on each CPU,
 *                                        // for all its threads together (keel/budget.h)
 *           kernel-memory = <0x200000>;  // bytes: the quota of its own factory (a VMM's:
 *                                        // what its VM needs unless set, never less: budget.c)
 *           memory = <0x100000>;         // bytes of heap, filled on first touch (whole GiBs
 *                                        // and 2 MiB blocks where they fit, one record each in
 *                                        // the kernel; a VMM's: its VM's RAM and what it keeps
 *                                        // beside it unless set, never less); promised to it
 *                                        // at its start: one that does not fit is not started
 *           keel,heap-in-pages;          // ... page by page instead (a record per 4 KiB)
 *           keel,boot-modules;           // map the initrd read-only (a VMM loads guests from it)
 *           keel,stop-after-ms = <300>;  // the system stops it this long after it said it is
 *                                        // ready (KEEL_PROTO_READY; tests: a VMM killed)
 *           keel,stop-clock = "running"; // ... counted from when it said its work shows
 *                                        // (KEEL_PROTO_RUNNING: a guest's first line) instead
 *           keel,scheduler;              // give it its Scheduler (ceiling: its priority, its
 *                                        // CPUs, its budget): it places its own threads
 *           keel,links = <&net0>;        // shared memory + doorbells with another (links.c)
 *           keel,devices = <&blk>;       // board devices: MMIO window, Irq (devices.c)
 *           keel,dma = <0x10000>;        // of its memory: contiguous RAM with its physical
 *                                        // address, for a device's DMA (dma.c)
 *           keel,restart = "on-failure"; // start it again, fresh, when it ends: "never" (the
 *                                        // default), "on-failure" (an exit status other than
 *                                        // 0, a fault, its kernel memory used up, stopped by the
 *                                        // system), "always" (also after status 0)
 *           keel,restart-max = <10>;     // ... at most this many times (default 10)
 *           keel,restart-delay-ms = <500>; // ... this long after it ended (default 0: at once);
 *                                        // its links' peers see it gone meanwhile (links.c)
 *           keel,service;                // it serves the others (a driver): stopped by the
 *                                        // system once only services run
 *       };
 *   };
 *   and at the root: keel,power-off-when-done;  (stop the system when every program exited)
 *
 * It then serves page faults and exits of its programs (keel/progenv.h). A program that faults
 * outside its memory is stopped by the kernel (its pager refused) and reported.
 */
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include "links.h"
#include "devices.h"
#include "dma.h"
#include "cpus.h"
#include "ledger.h"
#include "budget.h"
#include <cpio.h>
#include <elf.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

#define MAX_PROGRAMS 16

#define LABEL_GENERATION_SHIFT 8 /* a gate's label: program index | start generation << 8 */
#define ACCOUNT_SLACK 16384 /* a program's account holds its kernel-memory and its factory */
#define HEAP_BLOCK (1ull << 21)
#define HEAP_BLOCKS 1024 /* the first 2 GiB of a heap may be filled in GiBs and 2 MiB blocks */

struct program {
    char name[32];
    uint64_t task, thread, factory, gate; /* capabilities in the root task */
    uint64_t sched;                       /* its Scheduler (its CPUs, ceiling, budget) */
    uint64_t account;                     /* the factory its factory is made from, kept across
                                           * restarts: what it has given out is the program's */
    uint64_t heap_size, heap_used;
    uint64_t heap_big[HEAP_BLOCKS / 64], heap_small[HEAP_BLOCKS / 64]; /* 2 MiB blocks: how filled */
    uint64_t stop_ms;       /* keel,stop-after-ms: counted from its KEEL_PROTO_READY, */
    bool stop_from_running; /* ... or with keel,stop-clock = "running" its KEEL_PROTO_RUNNING */
    uint64_t stop_at;  /* counter value at which the system stops it, or 0 */
    int running;
    bool heap_in_pages; /* keel,heap-in-pages: no 2 MiB blocks */
    struct ledger ledger; /* the memory it was given: back when it ends */
    int node;             /* in the system tree: where a restart reads it again */
    unsigned restarts, restart_max;
    uint64_t restart_delay_ms;
    uint64_t restart_at; /* counter value at which it is started again, or 0 */
    enum { RESTART_NEVER, RESTART_ON_FAILURE, RESTART_ALWAYS } restart;
    unsigned generation; /* of its start, in its gate's label (serve drops older messages) */
    uint64_t kmem_free;  /* kernel memory free after its first end */
    bool kmem_leak;     /* its account not empty after an end: said */
    uint64_t mem_level; /* memory free and held by the others after its first end */
    bool mem_leak;      /* less than that after a later end: said */
    bool account_made;  /* its factory made at its last start */
    bool service;       /* keel,service: does not keep the system up (stop_services()) */
};

static struct program programs[MAX_PROGRAMS];
static unsigned program_count, running_count;

static const void *initrd_file(const char *name, uint64_t *size)
{
    const struct keel_kip *k = rt_kip();
    const char *start = (const char *)(uintptr_t)k->initrd_base;
    return k->initrd_size ? cpio_find(start, start + k->initrd_size, name, size) : NULL;
}

static int64_t map_into(uint64_t task, void *page, uint64_t va, unsigned rights)
{
    return KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                keel_fpage_mem((uint64_t)(uintptr_t)page, 12, rights), va);
}

/* Bytes of memory the ELF's segments take (whole pages), or 0 for a bad image. */
static uint64_t image_bytes(const void *img, uint64_t size)
{
    struct elf_segment seg;
    uint64_t bytes = 0;
    int r = 1;
    for (unsigned i = 0;
         elf_check(img, size, RT_ELF_MACHINE) && (r = elf_segment(img, size, i, &seg)) == 0; i++) {
        uint64_t first = seg.vaddr & ~(KEEL_PAGE_SIZE - 1);
        bytes += (seg.vaddr + seg.memsz - first + KEEL_PAGE_SIZE - 1) & ~(KEEL_PAGE_SIZE - 1);
    }
    return r == 1 ? bytes : 0;
}

/* Copies the ELF's segments into fresh pages mapped into the program's task. Its entry, or 0
 * with *err: EINVAL (a bad image), ENOMEM with *board (no page left), or what the mapping said
 * (ENOMEM: its kernel memory is used up). */
static uint64_t load(struct program *p, const void *img, uint64_t size, int64_t *err, bool *board)
{
    uint64_t entry = elf_check(img, size, RT_ELF_MACHINE);
    struct elf_segment seg;
    int r = 1;
    *err = -KEEL_EINVAL;
    for (unsigned i = 0; entry && (r = elf_segment(img, size, i, &seg)) == 0; i++) {
        for (uint64_t va = seg.vaddr & ~(KEEL_PAGE_SIZE - 1); va < seg.vaddr + seg.memsz;
             va += KEEL_PAGE_SIZE) {
            char *page = rt_page_alloc();
            if (!page) {
                *err = -KEEL_ENOMEM;
                *board = true;
                return 0;
            }
            ledger_add(&p->ledger, page, LEDGER_PAGE);
            uint64_t lo = va > seg.vaddr ? va : seg.vaddr;
            uint64_t hi = seg.vaddr + seg.filesz < va + KEEL_PAGE_SIZE ? seg.vaddr + seg.filesz
                                                                       : va + KEEL_PAGE_SIZE;
            if (lo < hi) {
                memcpy(page + (lo - va), (const char *)seg.data + (lo - seg.vaddr), hi - lo);
            }
            int64_t m = map_into(p->task, page, va, seg.rights);
            if (m < 0) {
                *err = m;
                return 0;
            }
        }
    }
    return r == 1 ? entry : 0;
}

static uint64_t prop_u64(const void *fdt, int node, const char *name, uint64_t dflt)
{
    uint64_t v;
    return fdt_util_u64(fdt, node, name, &v) ? v : dflt;
}

/* What the system tree says of a program that start() checks before it makes anything. */
struct settings {
    uint64_t prio, mask, cpu, kmem, budget[2];
    uint64_t dma; /* keel,dma: bytes of its memory given as DMA memory (dma.c) */
    bool vm; /* a VMM: kmem and its memory from its VM device tree unless set */
};

static bool read_settings(const void *fdt, int node, struct program *p, struct settings *st)
{
    const char *restart = fdt_getprop(fdt, node, "keel,restart", NULL);
    p->restart = !restart                             ? RESTART_NEVER
                 : strcmp(restart, "always") == 0     ? RESTART_ALWAYS
                 : strcmp(restart, "on-failure") == 0 ? RESTART_ON_FAILURE
                                                      : RESTART_NEVER;
    if (restart && p->restart == RESTART_NEVER && strcmp(restart, "never") != 0) {
        printf("root: %s: keel,restart = \"%s\" is not one of never, on-failure, always\n", p->name,
               restart);
        return false;
    }
    const char *clock = fdt_getprop(fdt, node, "keel,stop-clock", NULL);
    p->stop_from_running = clock && strcmp(clock, "running") == 0;
    if (clock && !p->stop_from_running && strcmp(clock, "ready") != 0) {
        printf("root: %s: keel,stop-clock = \"%s\" is not one of ready, running\n", p->name, clock);
        return false;
    }
    uint64_t max = prop_u64(fdt, node, "keel,restart-max", 10);
    p->restart_max = max > 1000000 ? 1000000 : (unsigned)max;
    uint64_t delay = prop_u64(fdt, node, "keel,restart-delay-ms", 0);
    p->restart_delay_ms = delay > 3600000 ? 3600000 : delay; /* (at most an hour) */
    st->prio = prop_u64(fdt, node, "priority", 50);
    if (st->prio < 1 || st->prio > 255) {
        printf("root: %s: priority = <%lu> is not 1..255\n", p->name, (unsigned long)st->prio);
        return false;
    }
    st->mask = cpus_of(fdt, node, p->name);
    if (!st->mask) {
        return false; /* it said why */
    }
    uint64_t lowest = 0;
    while (lowest < 63 && !(st->mask & (1ull << lowest))) {
        lowest++;
    }
    st->cpu = prop_u64(fdt, node, "cpu", lowest);
    if (st->cpu >= 64 || !(st->mask & (1ull << st->cpu))) {
        printf("root: %s: cpu = <%lu> is not one of its CPUs (mask 0x%lx)\n", p->name,
               (unsigned long)st->cpu, (unsigned long)st->mask);
        return false;
    }
    int len;
    const fdt32_t *b = fdt_getprop(fdt, node, "keel,cpu-budget", &len);
    st->budget[0] = st->budget[1] = 0;
    if (b && len == 8) {
        st->budget[0] = fdt32_to_cpu(b[0]);
        st->budget[1] = fdt32_to_cpu(b[1]);
    }
    if ((b && len != 8) || (b && (st->budget[0] < 10 || st->budget[0] > st->budget[1] ||
                                  st->budget[1] < 1000 || st->budget[1] > 10000000))) {
        printf("root: %s: keel,cpu-budget wants <budget-us period-us>, 10 us <= budget <= period, "
               "1 ms <= period <= 10 s\n",
               p->name);
        return false;
    }
    return true;
}

/* The VM device tree of a VMM, copied out of the cpio (libfdt needs it 8-byte aligned). */
static uint64_t vm_dt[65536 / 8];

static uint64_t module_size(const char *name)
{
    uint64_t size;
    return initrd_file(name, &size) ? size : 0;
}

/* The VM device tree a program is a VMM for: its args name a device tree among the boot modules
 * it gets (vmm/main.c reads that one). NULL for any other program. */
static const void *vm_tree_of(const void *fdt, int node, uint64_t *size)
{
    const char *args = fdt_getprop(fdt, node, "args", NULL);
    const unsigned char *f = NULL;
    if (args && fdt_getprop(fdt, node, "keel,boot-modules", NULL)) {
        f = initrd_file(args, size);
    }
    /* (The magic byte by byte: the file is only 4-byte aligned.) */
    return f && *size >= 4 && f[0] == 0xd0 && f[1] == 0x0d && f[2] == 0xfe && f[3] == 0xed ? f
                                                                                           : NULL;
}

/* What a program's memory ("memory") and kernel memory ("kernel-memory") are: for a VMM what
 * its VM needs (budget.c) unless the system tree sets more, and never less; 1 MiB each for the
 * others unless set. Then whether the memory fits what the board has left besides what the
 * programs running may still fill (their memory not filled yet: each program's memory is
 * promised to it when it starts, so a running program's heap never finds the board empty).
 * false after saying why it is not started. */
static bool budgets(const void *fdt, int node, struct program *p, struct settings *st,
                    const void *img, uint64_t img_size)
{
    uint64_t heap, kmem;
    bool heap_set = fdt_util_u64(fdt, node, "memory", &heap);
    bool kmem_set = fdt_util_u64(fdt, node, "kernel-memory", &kmem);
    p->heap_in_pages = fdt_getprop(fdt, node, "keel,heap-in-pages", NULL) != NULL;
    if ((heap_set && heap > (1ull << 40)) || (kmem_set && kmem > (1ull << 40))) {
        printf("root: %s: %s = <0x%lx> is more than any board has\n", p->name,
               heap_set && heap > (1ull << 40) ? "memory" : "kernel-memory",
               (unsigned long)(heap_set && heap > (1ull << 40) ? heap : kmem));
        return false;
    }
    if (!dma_size(fdt, node, p->name, &st->dma)) {
        return false;
    }
    uint64_t vm_size;
    const void *vm_file = vm_tree_of(fdt, node, &vm_size);
    if (!vm_file) {
        /* (keel,dma comes out of its memory: the default leaves it 1 MiB besides) */
        heap = heap_set ? heap : (1 << 20) + st->dma;
        kmem = kmem_set ? kmem : 1 << 20;
        if (heap < st->dma) {
            printf("root: %s: keel,dma (%lu KiB) is more than its memory (%lu KiB); not "
                   "started\n",
                   p->name, (unsigned long)(st->dma >> 10), (unsigned long)(heap >> 10));
            return false;
        }
    } else {
        const char *tree = fdt_getprop(fdt, node, "args", NULL);
        struct vm_shape vm;
        enum fdt_util_load_result loaded = fdt_util_load(vm_dt, sizeof(vm_dt), vm_file, vm_size);
        const char *why = loaded != FDT_UTIL_LOAD_OK ? fdt_util_load_strerror(loaded)
                                                     : vm_shape_read(vm_dt, module_size, &vm);
        if (why) {
            printf("root: %s: its VM device tree %s: %s; not started\n", p->name, tree, why);
            return false;
        }
        uint64_t need = (budget_vm_memory(&vm) + st->dma + (2ull << 20) - 1) & ~((2ull << 20) - 1);
        if (heap_set && heap < vm.ram) {
            printf("root: %s: memory 0x%lx (%lu MiB) is below the RAM of its VM (%lu MiB, %s); "
                   "not started\n",
                   p->name, (unsigned long)heap, (unsigned long)(heap >> 20),
                   (unsigned long)(vm.ram >> 20), tree);
            return false;
        }
        if (heap_set && heap < need) {
            printf("root: %s: memory 0x%lx (%lu MiB) is below the %lu MiB its VM needs (%lu MiB "
                   "RAM, %lu KiB flash banks and writable disks, %s%s); not started\n",
                   p->name, (unsigned long)heap, (unsigned long)(heap >> 20),
                   (unsigned long)(need >> 20), (unsigned long)(vm.ram >> 20),
                   (unsigned long)(vm.heap_more >> 10), tree, st->dma ? ", keel,dma" : "");
            return false;
        }
        heap = heap_set ? heap : need;
        const struct keel_kip *k = rt_kip();
        uint64_t kneed = budget_vm_kmem(&vm, k->initrd_size + KEEL_PAGE_SIZE, heap,
                                        p->heap_in_pages);
        if (kmem_set && kmem < kneed) {
            printf("root: %s: kernel-memory 0x%lx is below the 0x%lx its VM needs (%lu MiB RAM, "
                   "%u vCPU%s, %u device%s, %lu MiB memory, %lu KiB boot modules); not started\n",
                   p->name, (unsigned long)kmem, (unsigned long)kneed,
                   (unsigned long)(vm.ram >> 20), vm.cpus, vm.cpus == 1 ? "" : "s", vm.devices,
                   vm.devices == 1 ? "" : "s", (unsigned long)(heap >> 20),
                   (unsigned long)(k->initrd_size >> 10));
            return false;
        }
        kmem = kmem_set ? kmem : kneed;
    }
    /* Its memory, its image, its environment and ledger pages, against what is left. */
    uint64_t promised = 0, free = rt_mem_free();
    for (unsigned i = 0; i < program_count; i++) {
        const struct program *q = &programs[i];
        promised += q != p && q->running && q->heap_size > q->heap_used
                        ? q->heap_size - q->heap_used
                        : 0;
    }
    uint64_t want = heap + image_bytes(img, img_size) + 4 * KEEL_PAGE_SIZE;
    if (promised > free || want > free - promised) {
        printf("root: %s: memory 0x%lx (%lu MiB) and its image do not fit in the board's memory "
               "left (%lu MiB free, %lu MiB of it promised to the programs running); not "
               "started\n",
               p->name, (unsigned long)heap, (unsigned long)(heap >> 20),
               (unsigned long)(free >> 20), (unsigned long)(promised >> 20));
        return false;
    }
    p->heap_size = heap;
    st->kmem = kmem;
    st->vm = vm_file != NULL;
    return true;
}

/* start() failed after it made something: nothing of it stays (its account only until the
 * program is not to be started again). */
static void abandon(struct program *p)
{
    uint64_t caps[] = { p->thread, p->task, p->factory, p->gate, p->sched };
    for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, caps[i]); /* (an empty slot: nothing) */
    }
    links_ended(p->node); /* before its environment page goes back */
    ledger_give_back(&p->ledger);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->account);
    cpus_release(p->node);
}

static int start(const void *fdt, int node, unsigned index)
{
    struct program *p = &programs[index];
    const char *image = fdt_getprop(fdt, node, "image", NULL);
    const char *args = fdt_getprop(fdt, node, "args", NULL);
    uint64_t size;
    const void *img = image ? initrd_file(image, &size) : NULL;
    strncpy(p->name, fdt_get_name(fdt, node, NULL), sizeof(p->name) - 1);
    if (!img) {
        printf("root: %s: no image \"%s\" in the initrd\n", p->name, image ? image : "");
        return -1;
    }
    struct settings st;
    if (!read_settings(fdt, node, p, &st) || !budgets(fdt, node, p, &st, img, size)) {
        cpus_release(node);
        return -1;
    }
    p->heap_used = st.dma; /* (given at once, below: the heap fills the rest) */
    memset(p->heap_big, 0, sizeof(p->heap_big));
    memset(p->heap_small, 0, sizeof(p->heap_small));
    p->stop_at = 0;
    p->node = node;
    p->generation++;   /* messages of an earlier start are dropped (serve) */
    if (!p->factory) { /* its capability slots, the same again for a restart */
        p->factory = rt_cap_alloc();
        p->task = rt_cap_alloc();
        p->thread = rt_cap_alloc();
        p->gate = rt_cap_alloc();
        p->sched = rt_cap_alloc();
        p->account = rt_cap_alloc();
    }
    int64_t r = 0;
    const char *what = "kernel memory";
    bool board = false; /* ENOMEM: the board's memory used up, not its kernel-memory */
    if (KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, p->account) != 1) { /* (room for its factory) */
        r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, p->account, st.kmem + ACCOUNT_SLACK);
    }
    if (r == 0) {
        r = KOBJ(p->account, KEEL_FACTORY_FACTORY, p->factory, st.kmem);
    }
    p->account_made = r == 0; /* an ENOMEM from here on is its own quota's */
    if (r == 0) {
        r = KOBJ(p->factory, KEEL_FACTORY_TASK, p->task,
                 keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, 16, KEEL_FP_RW));
    }
    if (r == 0) {
        r = KOBJ(p->factory, KEEL_FACTORY_THREAD, p->thread);
    }
    if (r == 0) {
        r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, p->gate, KEEL_ROOT_THREAD,
                 index | (uint64_t)p->generation << LABEL_GENERATION_SHIFT);
    }
    /* Its capabilities: task, thread, factory, Vcon, parent gate (keel/progenv.h). */
    static const struct { uint64_t slot; int which; } caps[] = {
        { KEEL_ROOT_TASK, 0 }, { KEEL_ROOT_THREAD, 1 }, { KEEL_ROOT_FACTORY, 2 },
        { KEEL_ROOT_VCON, 3 }, { KEEL_PROG_PARENT, 4 },
    };
    for (unsigned i = 0; r == 0 && i < sizeof(caps) / sizeof(caps[0]); i++) {
        uint64_t from[] = { p->task, p->thread, p->factory, KEEL_ROOT_VCON, p->gate };
        r = KOBJ(p->task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_cap(from[caps[i].which], 0, KEEL_CAP_ALL), caps[i].slot);
    }
    /* Its Scheduler (from its kernel memory): the main thread is placed through it, so its CPUs
     * and budget hold from the first instruction; given to it only with keel,scheduler. */
    if (r == 0) {
        what = "its Scheduler";
        r = KOBJ(p->factory, KEEL_FACTORY_SCHEDULER, p->sched, KEEL_ROOT_SCHEDULER, st.prio,
                 st.mask, st.budget[0], st.budget[1]);
    }
    if (r == 0 && fdt_getprop(fdt, node, "keel,scheduler", NULL)) {
        r = KOBJ(p->task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_cap(p->sched, 0, KEEL_CAP_R | KEEL_CAP_W), KEEL_PROG_SCHEDULER);
    }
    struct keel_progenv *env = NULL;
    if (r == 0) {
        what = "its environment page";
        env = rt_page_alloc();
        r = env ? 0 : -KEEL_ENOMEM;
        board = !env;
    }
    if (r == 0) {
        ledger_add(&p->ledger, env, LEDGER_PAGE);
        env->magic = KEEL_PROGENV_MAGIC;
        env->heap_size = p->heap_size - st.dma;
        env->cpu = st.cpu;
        env->priority = st.prio;
        env->timer_freq = rt_kip()->timer_freq;
        strncpy(env->name, p->name, sizeof(env->name) - 1);
        strncpy(env->args, args ? args : "", sizeof(env->args) - 1);
        r = map_into(p->task, env, KEEL_KIP_ADDR, KEEL_FP_R);
    }
    if (r == 0 && links_give(fdt, node, p->name, p->task, env) != 0) {
        abandon(p);
        return -1; /* it said why */
    }
    if (r == 0 && env &&
        (devices_give(fdt, node, p->name, p->task, env) != 0 ||
         (st.dma && dma_give(p->name, p->task, st.dma, &p->ledger, env) != 0))) {
        abandon(p);
        return -1; /* it said why */
    }
    if (r == 0 && fdt_getprop(fdt, node, "keel,boot-modules", NULL)) {
        /* The boot modules, read-only, page by page (the initrd need not be aligned further). */
        const struct keel_kip *k = rt_kip();
        uint64_t first = k->initrd_base & ~(KEEL_PAGE_SIZE - 1);
        uint64_t end = k->initrd_base + k->initrd_size;
        what = "its boot modules";
        for (uint64_t pa = first; r == 0 && pa < end; pa += KEEL_PAGE_SIZE) {
            (void)*(volatile const char *)(uintptr_t)pa; /* ours by sigma0 once touched */
            r = map_into(p->task, (void *)(uintptr_t)pa, KEEL_PROG_MODULES_BASE + (pa - first), KEEL_FP_R);
        }
        env->modules_size = end - first;
        env->modules_offset = k->initrd_base - first;
    }
    uint64_t entry = 0;
    if (r == 0) {
        entry = load(p, img, size, &r, &board);
        what = "its image";
        r = entry ? 0 : r;
    }
    if (r == 0) {
        what = "its thread";
        r = KOBJ(p->thread, KEEL_THREAD_CONTROL, p->task, KEEL_ROOT_UTCB_ADDR, KEEL_PROG_PARENT,
                 KEEL_PROG_PARENT);
    }
    if (r == 0) {
        r = KOBJ(p->sched, KEEL_SCHED_RUN, p->thread, st.cpu, st.prio, 0);
    }
    if (r == 0) {
        r = KOBJ(p->thread, KEEL_THREAD_EX_REGS, entry, 0, 0);
    }
    if (r < 0) {
        printf("root: %s: cannot start (%s: %s%s)\n", p->name, what, keel_strerror(r),
               r != -KEEL_ENOMEM ? ""
               : board           ? ": the board's memory is used up"
               : p->account_made ? ": its kernel-memory is used up"
                                 : ": the system's kernel memory is used up");
        abandon(p);
        return -1;
    }
    p->stop_ms = prop_u64(fdt, node, "keel,stop-after-ms", 0); /* armed by READY or RUNNING */
    p->service = fdt_getprop(fdt, node, "keel,service", NULL) != NULL;
    p->running = 1;
    running_count++;
    links_started(node);
    printf("root: started %s (%s) on CPU %lu", p->name, image, (unsigned long)st.cpu);
    if (st.mask != (1ull << rt_kip()->cpu_count) - 1) {
        printf(", CPUs 0x%lx", (unsigned long)st.mask);
    }
    if (st.budget[0]) {
        printf(", budget %lu us per %lu us", (unsigned long)st.budget[0],
               (unsigned long)st.budget[1]);
    }
    if (st.vm) {
        printf(", memory %lu MiB, kernel memory %lu KiB", (unsigned long)(p->heap_size >> 20),
               (unsigned long)(st.kmem >> 10));
    }
    printf("\n");
    return 0;
}

/* Ends a program: releasing its task, thread and factory frees everything it had. */
static void end(struct program *p)
{
    uint64_t start = keel_cycles();
    /* What its kernel memory came to at most: the measure of what it needs. */
    uint64_t peak = 0, limit = 0;
    if (KOBJ(p->factory, KEEL_FACTORY_INFO) == 0) {
        limit = keel_utcb()->mr[0];
        peak = keel_utcb()->mr[2];
    }
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->thread);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->task);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->factory);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->gate);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->sched);
    links_ended(p->node);         /* its peers see it gone now, not at its restart */
    ledger_give_back(&p->ledger); /* nothing maps it any more: its task is gone */
    p->running = 0;
    running_count--;
    printf("root: %s: its task, thread and factory released in %lu us (kernel memory: at most %lu "
           "of %lu KiB used)\n",
           p->name, (unsigned long)((keel_cycles() - start) * 1000000 / rt_kip()->timer_freq),
           (unsigned long)(peak >> 10), (unsigned long)(limit >> 10));
}

/* The system device tree, copied out of the cpio (only 4-byte aligned there; libfdt needs 8). */
static uint64_t system_dt[65536 / 8];

static uint64_t kmem_free(void)
{
    return KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_KMEM) == 0 ? keel_utcb()->mr[0] : 0;
}

/* The root task's memory free and held by the running programs: the same after every end of a
 * program that gives everything back, whatever the others fill meanwhile. */
static uint64_t mem_level(void)
{
    uint64_t level = rt_mem_free();
    for (unsigned i = 0; i < program_count; i++) {
        level += programs[i].running ? programs[i].ledger.bytes : 0;
    }
    return level;
}

/* What the program's account has given out: nothing once everything of the program is freed. A
 * thread that was running on another CPU is freed when that CPU switches away: wait for that a
 * little (up to 20 ms, in 1 ms sleeps: a closed receive from its own thread, which never sends,
 * so the messages of other programs stay queued meanwhile). */
static uint64_t account_used(struct program *p)
{
    uint64_t used = 0;
    for (unsigned ms = 0; ms <= 20; ms++) {
        if (KOBJ(p->account, KEEL_FACTORY_INFO) != 0 || (used = keel_utcb()->mr[1]) == 0) {
            break;
        }
        keel_receive(KEEL_ROOT_THREAD, 1000, 0);
    }
    return used;
}

/* Starts a program again (finish() decided so, now or at its restart_at). */
static void restart(struct program *p)
{
    if (p->restarts <= 3 || p->restarts % 10 == 0) {
        printf("root: %s: restart %u of at most %u (%lu KiB kernel memory free, %lu KiB memory "
               "free)\n",
               p->name, p->restarts, p->restart_max, (unsigned long)(kmem_free() >> 10),
               (unsigned long)(rt_mem_free() >> 10));
    }
    if (start(system_dt, p->node, (unsigned)(p - programs)) != 0) {
        printf("root: %s: its restart failed\n", p->name);
        /* Its account too (start() gives it back on most failures, not on those before any
         * kernel object is made: the board's memory used up by then); an empty slot: nothing. */
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->account);
    }
}

/* A program ended (said already): ends it, checks that the kernel memory it had came back (its
 * account has nothing given out: a kernel object of the program kept alive would keep its
 * factory, and its whole quota), and starts it again, fresh, when its keel,restart says so. */
static void finish(struct program *p, bool failed)
{
    end(p);
    uint64_t used = account_used(p);
    if (used && !p->kmem_leak) {
        printf("root: %s: LEAK: %lu bytes of its kernel memory still given out after its end\n",
               p->name, (unsigned long)used);
        p->kmem_leak = true;
    }
    if (p->restarts == 0) {
        p->kmem_free = kmem_free();
        p->mem_level = mem_level();
    } else if (mem_level() != p->mem_level && !p->mem_leak) {
        printf(
            "root: %s: LEAK: memory not back after its end (%lu KiB free and held by the others, "
            "%lu KiB after its first end)\n",
            p->name, (unsigned long)(mem_level() >> 10), (unsigned long)(p->mem_level >> 10));
        p->mem_leak = true;
    }
    if (p->restart == RESTART_NEVER || (p->restart == RESTART_ON_FAILURE && !failed)) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->account); /* for good */
        return;
    }
    if (p->restarts >= p->restart_max) {
        printf("root: %s: restarted %u times (keel,restart-max); kernel memory back to its level "
               "after every end: %s (%lu KiB free after the first end, %lu KiB now); memory back "
               "after every end: %s (%lu KiB free)\n",
               p->name, p->restarts, p->kmem_leak ? "no" : "yes",
               (unsigned long)(p->kmem_free >> 10), (unsigned long)(kmem_free() >> 10),
               p->mem_leak ? "no" : "yes", (unsigned long)(rt_mem_free() >> 10));
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->account);
        return;
    }
    p->restarts++;
    if (p->restart_delay_ms) {
        if (p->restarts <= 3 || p->restarts % 10 == 0) { /* (as restart() says its line) */
            printf("root: %s: restart in %lu ms (keel,restart-delay-ms)\n", p->name,
                   (unsigned long)p->restart_delay_ms);
        }
        p->restart_at = keel_cycles() + p->restart_delay_ms * (rt_kip()->timer_freq / 1000);
        return;
    }
    restart(p);
}

static bool bit(const uint64_t *map, uint64_t i)
{
    return (map[i / 64] >> (i % 64)) & 1;
}

/* Fills the 2 MiB block of the heap at block_va in one go (a VMM's guest RAM: a few faults instead
 * of hundreds, and block mappings down to stage 2) when it lies wholly in the heap and budget and
 * none of it is filled yet. 1 done, 0 not possible (small pages then). */
static int heap_block(struct program *p, uint64_t block_va, struct keel_utcb *u)
{
    uint64_t i = (block_va - KEEL_PROG_HEAP_BASE) / HEAP_BLOCK;
    if (p->heap_in_pages || i >= HEAP_BLOCKS || bit(p->heap_small, i) ||
        block_va + HEAP_BLOCK > KEEL_PROG_HEAP_BASE + p->heap_size ||
        p->heap_used + HEAP_BLOCK > p->heap_size) {
        return 0;
    }
    void *block = rt_pages_alloc_aligned(HEAP_BLOCK / KEEL_PAGE_SIZE, HEAP_BLOCK);
    if (!block) {
        return 0;
    }
    ledger_add(&p->ledger, block, LEDGER_BLOCK);
    p->heap_used += HEAP_BLOCK;
    p->heap_big[i / 64] |= 1ull << (i % 64);
    u->mr[0] = keel_item_ctl(block_va, 0);
    u->mr[1] = keel_fpage_mem((uint64_t)(uintptr_t)block, 21, KEEL_FP_RWX);
    return 1;
}

/* Fills the GiB of the heap around addr in one go (a VMM's guest RAM of a GiB or more: one mapping
 * down to stage 2) when it lies wholly in the heap and budget and none of it is filled yet. By
 * Task MAP, not by the reply (an IPC's items are bounded to 2 MiB: it has no preemption point).
 * 1 done, 0 not possible (2 MiB blocks then), or -err. */
static int64_t heap_gib(struct program *p, uint64_t addr)
{
    const uint64_t gib = 1ull << 30, per_gib = gib / HEAP_BLOCK;
    uint64_t gib_va = addr & ~(gib - 1), first = (gib_va - KEEL_PROG_HEAP_BASE) / HEAP_BLOCK;
    if (p->heap_in_pages || gib_va < KEEL_PROG_HEAP_BASE || first + per_gib > HEAP_BLOCKS ||
        gib_va + gib > KEEL_PROG_HEAP_BASE + p->heap_size || p->heap_used + gib > p->heap_size) {
        return 0;
    }
    for (uint64_t i = first; i < first + per_gib; i++) {
        if (bit(p->heap_small, i) || bit(p->heap_big, i)) {
            return 0;
        }
    }
    void *mem = rt_gib_alloc();
    if (!mem) {
        return 0;
    }
    ledger_add(&p->ledger, mem, LEDGER_GIB);
    p->heap_used += gib;
    for (uint64_t i = first; i < first + per_gib; i++) {
        p->heap_big[i / 64] |= 1ull << (i % 64);
    }
    int64_t r = KOBJ(p->task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                     keel_fpage_mem((uint64_t)(uintptr_t)mem, 30, KEEL_FP_RWX), gib_va);
    if (r < 0) {
        printf("root: %s: a GiB of its memory could not be mapped (error %ld); stopped\n", p->name,
               (long)r);
        return r;
    }
    return 1;
}

/* A page fault of program p: its heap is filled on first touch, up to its budget: in whole GiBs
 * and 2 MiB blocks where it can be, else a page at a time. Returns 1 with a mapping in u, 0 when the page is
 * already there (another thread's fault on the same block came first), or -err. */
static int64_t page_fault(struct program *p, uint64_t addr, uint64_t pc, struct keel_utcb *u)
{
    uint64_t page_va = addr & ~(KEEL_PAGE_SIZE - 1), block_va = addr & ~(HEAP_BLOCK - 1);
    if (page_va < KEEL_PROG_HEAP_BASE || page_va >= KEEL_PROG_HEAP_BASE + p->heap_size) {
        printf("root: %s: page fault at 0x%lx (pc 0x%lx) outside its memory; stopped\n", p->name,
               (unsigned long)addr, (unsigned long)pc);
        return -KEEL_EFAULT;
    }
    uint64_t i = (block_va - KEEL_PROG_HEAP_BASE) / HEAP_BLOCK;
    if (i < HEAP_BLOCKS && bit(p->heap_big, i)) {
        return 0;
    }
    int64_t gib = heap_gib(p, addr);
    if (gib) {
        return gib < 0 ? gib : 0; /* mapped already: no item in the reply */
    }
    if (heap_block(p, block_va, u)) {
        return 1;
    }
    if (p->heap_used + KEEL_PAGE_SIZE > p->heap_size) {
        printf("root: %s: page fault at 0x%lx (pc 0x%lx): its memory (%lu KiB) is used up; stopped\n",
               p->name, (unsigned long)addr, (unsigned long)pc, (unsigned long)(p->heap_size >> 10));
        return -KEEL_ENOMEM;
    }
    void *page = rt_page_alloc();
    if (!page) {
        /* (Its memory was promised to it at its start: only what is not a heap, or a GiB given
         * back that pages cannot come from, can leave none.) */
        printf("root: %s: page fault at 0x%lx (pc 0x%lx): the board's memory is used up (%lu of "
               "its %lu KiB filled); stopped\n",
               p->name, (unsigned long)addr, (unsigned long)pc, (unsigned long)(p->heap_used >> 10),
               (unsigned long)(p->heap_size >> 10));
        return -KEEL_ENOMEM;
    }
    ledger_add(&p->ledger, page, LEDGER_PAGE);
    if (i < HEAP_BLOCKS) {
        p->heap_small[i / 64] |= 1ull << (i % 64);
    }
    p->heap_used += KEEL_PAGE_SIZE;
    u->mr[0] = keel_item_ctl(page_va, 0);
    /* RWX: a VMM passes its heap on as guest RAM, which the guest executes from. */
    u->mr[1] = keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RWX);
    return 1;
}

/* Stops the programs whose time is up (Task calls: the message registers are not kept). */
static void stop_due(void)
{
    uint64_t now = keel_cycles();
    for (unsigned i = 0; i < program_count; i++) {
        struct program *p = &programs[i];
        if (p->running && p->stop_at && p->stop_at <= now) {
            printf("root: %s stopped by the system (keel,stop-after-ms)\n", p->name);
            finish(p, true);
        }
    }
}

/* Whether a program waits for its restart (keel,restart-delay-ms): it keeps the system up. */
static bool restart_pending(void)
{
    for (unsigned i = 0; i < program_count; i++) {
        if (programs[i].restart_at) {
            return true;
        }
    }
    return false;
}

/* Starts the programs whose restart delay is over. */
static void restart_due(void)
{
    uint64_t now = keel_cycles();
    for (unsigned i = 0; i < program_count; i++) {
        struct program *p = &programs[i];
        if (p->restart_at && p->restart_at <= now) {
            p->restart_at = 0;
            restart(p);
        }
    }
}

/* The receive timeout until the next stop or restart (us), without touching the message
 * registers. */
static uint32_t next_timeout(void)
{
    uint64_t now = keel_cycles(), next = UINT64_MAX;
    for (unsigned i = 0; i < program_count; i++) {
        if (programs[i].running && programs[i].stop_at && programs[i].stop_at < next) {
            next = programs[i].stop_at;
        }
        if (programs[i].restart_at && programs[i].restart_at < next) {
            next = programs[i].restart_at;
        }
    }
    if (next == UINT64_MAX) {
        return KEEL_TIMEOUT_NEVER;
    }
    uint64_t us = next > now ? (next - now) * 1000000 / rt_kip()->timer_freq + 1 : 1;
    return us < KEEL_TIMEOUT_NEVER ? (uint32_t)us : KEEL_TIMEOUT_NEVER - 1;
}

/* The running program a gate label names, from this start of it; or NULL. */
static struct program *from(uint64_t label)
{
    uint64_t i = label & ((1u << LABEL_GENERATION_SHIFT) - 1);
    if (i >= program_count || !programs[i].running ||
        label >> LABEL_GENERATION_SHIFT != programs[i].generation) {
        return NULL;
    }
    return &programs[i];
}

/* Once only services (keel,service: a driver serving the others) run, the system stops them:
 * nobody is left to use them, and the system can end (keel,power-off-when-done). They are not
 * restarted. */
static void stop_services(void)
{
    for (unsigned i = 0; i < program_count; i++) {
        if ((programs[i].running || programs[i].restart_at) && !programs[i].service) {
            return;
        }
    }
    for (unsigned i = 0; i < program_count; i++) {
        struct program *p = &programs[i];
        if (p->restart_at) { /* a service waiting for its restart: it stays ended */
            printf("root: %s not restarted: only services are left (keel,service)\n", p->name);
            p->restart_at = 0;
            KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, p->account);
        }
        if (p->running) {
            printf("root: %s stopped by the system: only services are left (keel,service)\n",
                   p->name);
            p->restart = RESTART_NEVER;
            finish(p, false);
        }
    }
}

static void serve(void)
{
    bool have_reply = false;
    uint64_t reply = 0, replied_to = 0;
    while (running_count || restart_pending()) {
        if (!have_reply) {
            stop_services(); /* (when a program has just ended; a reply is owed to a running one) */
            if (!running_count && !restart_pending()) {
                break;
            }
        }
        uint64_t label;
        uint64_t tag = have_reply ? keel_reply_wait(reply, next_timeout(), &label)
                                  : keel_wait(next_timeout(), &label);
        struct keel_utcb *u = keel_utcb();
        uint64_t mr0 = u->mr[0], mr2 = u->mr[2]; /* stop_due() below reuses the registers */
        bool timeout = keel_tag_is_error(tag);
        if (timeout && have_reply && keel_ipc_error() != -KEEL_ETIMEOUT) {
            /* The reply itself failed (nothing was received): the kernel has halted the thread
             * it was for. Out of kernel memory: its own quota (kernel-memory) is used up. */
            struct program *p = from(replied_to);
            int err = keel_ipc_error();
            if (p) {
                printf("root: %s: its page fault's mapping failed (%s%s); stopped\n", p->name,
                       keel_strerror(err),
                       err == -KEEL_ENOMEM ? ": its kernel-memory is used up" : "");
                finish(p, true);
            }
        }
        have_reply = false;
        stop_due();
        restart_due();
        struct program *p = timeout ? NULL : from(label);
        if (!p) {
            continue; /* (a message of a start the system has ended since: dropped) */
        }
        if (keel_tag_label(tag) == KEEL_PROTO_PAGE_FAULT && keel_tag_words(tag) >= 3) {
            int64_t r = page_fault(p, mr0, mr2, u);
            if (r < 0) {
                keel_reply(keel_tag(r, 0, 0)); /* the kernel stops the thread */
                finish(p, true);
                continue;
            }
            reply = keel_tag(0, 0, (unsigned)r); /* one map item, or none */
            replied_to = label;
        } else if (keel_tag_label(tag) == KEEL_PROTO_READY ||
                   keel_tag_label(tag) == KEEL_PROTO_RUNNING) {
            /* Its set-up does not count against it; with keel,stop-clock = "running" nor does the
             * time until its work shows (a busy host can take seconds to get a guest going). */
            bool running = keel_tag_label(tag) == KEEL_PROTO_RUNNING;
            if (p->stop_ms && !p->stop_at && running == p->stop_from_running) {
                p->stop_at = keel_cycles() + p->stop_ms * (rt_kip()->timer_freq / 1000);
            }
            reply = keel_tag(0, 0, 0);
        } else if (keel_tag_label(tag) == KEEL_PROTO_EXIT) {
            printf("root: %s exited with status %ld\n", p->name, (long)mr0);
            finish(p, mr0 != 0);
            continue;
        } else {
            reply = keel_tag(-KEEL_EPROTO, 0, 0);
        }
        have_reply = true;
    }
}

int main(void)
{
    uint64_t size;
    const void *file = initrd_file("system.dtb", &size);
    const void *fdt = system_dt;
    if (!file) {
        printf("root: no system.dtb in the initrd: nothing to start\n");
        return 1;
    }
    enum fdt_util_load_result loaded = fdt_util_load(system_dt, sizeof(system_dt), file, size);
    if (loaded != FDT_UTIL_LOAD_OK) {
        printf("root: system.dtb in the initrd (%lu bytes): %s: nothing to start\n",
               (unsigned long)size, fdt_util_load_strerror(loaded));
        return 1;
    }
    links_setup(fdt);
    devices_setup(fdt);
    cpus_setup(fdt);
    int programs_node = fdt_path_offset(fdt, "/programs");
    int node;
    if (programs_node >= 0) {
        fdt_for_each_subnode(node, fdt, programs_node) {
            if (program_count == MAX_PROGRAMS) {
                printf("root: more than %d programs; the rest are not started\n", MAX_PROGRAMS);
                break;
            }
            start(fdt, node, program_count++);
        }
    }
    if (running_count || restart_pending()) {
        serve();
    }
    KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_KMEM);
    printf("root: all programs done (%lu KiB kernel memory free)\n",
           (unsigned long)(keel_utcb()->mr[0] >> 10));
    if (fdt_getprop(fdt, 0, "keel,power-off-when-done", NULL)) {
        rt_flush();
        KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_POWER_OFF);
    }
    return 0;
}

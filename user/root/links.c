// SPDX-License-Identifier: MIT
/*
 * Links: shared memory between two programs, with a doorbell (an Irq) each way.
 *
 *   links {
 *       net0: net0 { keel,size = <0x10000>; };   // bytes, rounded up to pages, at most 1 GiB
 *   };
 *   programs {
 *       vm1 { ...; keel,links = <&net0>; };      // end 0: it comes first under /programs
 *       vm2 { ...; keel,links = <&net0>; };      // end 1
 *   };
 *
 * Before any program starts, links_setup() checks each link (exactly two programs, a size that
 * fits), takes its memory (contiguous, zeroed, the root task keeps it) and makes its two Irqs from
 * the root factory. links_give() then maps a program's links at KEEL_PROG_LINK_VA(i), gives it its
 * own end's Irq (R, W) and the peer's (R: trigger only), and fills env->links (keel/progenv.h;
 * the link's physical address only for a program with keel,devices).
 * A program that lists a link which could not be set up is not started; the others are.
 * links_started() and links_ended() tell each end when the other starts and ends (peer_epoch in
 * its environment, then its doorbell): its peer's death is seen at once, whatever state the
 * peer left in the link's memory.
 */
#include "links.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

#define MAX_LINKS 16

struct link {
    const char *name;
    uint32_t phandle;
    uint64_t size;    /* bytes, whole pages */
    uint64_t mem;     /* physical address (the root task's too), 0: not set up */
    uint64_t irq[2];  /* the two ends' Irqs, in the root task */
    int node[2];      /* the programs at the two ends */
    unsigned ends;    /* programs that list it */
    /* Each end's program as it runs: its environment page (the root task's, NULL once it ended:
     * the page goes back with the program), the link's index in it, and its epoch (its starts
     * and ends counted: odd while it runs), which the other end's page shows as peer_epoch. */
    struct keel_progenv *env[2];
    unsigned slot[2];
    uint64_t epoch[2];
};

static struct link links[MAX_LINKS];
static unsigned link_count;

static struct link *find(uint32_t phandle)
{
    for (unsigned i = 0; phandle && i < link_count; i++) {
        if (links[i].phandle == phandle) {
            return &links[i];
        }
    }
    return NULL;
}

/* Why link l cannot be set up, or NULL when it can (memory and Irqs are then taken). */
static const char *set_up(struct link *l)
{
    if (l->ends != 2) {
        return "a link joins exactly 2 programs";
    }
    if (l->node[0] == l->node[1]) {
        return "one program joins it twice";
    }
    if (l->size == 0 || l->size > KEEL_PROG_LINK_STRIDE) {
        return "keel,size missing or not 1 byte .. 1 GiB";
    }
    void *mem = rt_pages_alloc(l->size / KEEL_PAGE_SIZE);
    if (!mem) {
        return "not enough memory for keel,size";
    }
    l->mem = (uint64_t)(uintptr_t)mem;
    for (unsigned e = 0; e < 2; e++) {
        l->irq[e] = rt_cap_alloc();
        if (KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, l->irq[e]) != 0) {
            l->mem = 0; /* the memory stays unused */
            return "no kernel memory for its Irqs";
        }
    }
    return NULL;
}

void links_setup(const void *fdt)
{
    int parent = fdt_path_offset(fdt, "/links");
    int node;
    if (parent < 0) {
        return;
    }
    fdt_for_each_subnode(node, fdt, parent) {
        if (link_count == MAX_LINKS) {
            printf("root: more than %d links; the rest are not set up\n", MAX_LINKS);
            break;
        }
        struct link *l = &links[link_count++];
        uint64_t size = 0;
        l->name = fdt_get_name(fdt, node, NULL);
        l->phandle = fdt_get_phandle(fdt, node);
        if (fdt_util_u64(fdt, node, "keel,size", &size) && size <= KEEL_PROG_LINK_STRIDE) {
            l->size = (size + KEEL_PAGE_SIZE - 1) & ~(KEEL_PAGE_SIZE - 1);
        }
    }
    int programs = fdt_path_offset(fdt, "/programs");
    if (programs >= 0) {
        fdt_for_each_subnode(node, fdt, programs) {
            int len = 0;
            const fdt32_t *ph = fdt_getprop(fdt, node, "keel,links", &len);
            for (int i = 0; ph && i < len / 4; i++) {
                struct link *l = find(fdt32_to_cpu(ph[i]));
                if (l && l->ends++ < 2) {
                    l->node[l->ends - 1] = node;
                }
            }
        }
    }
    for (unsigned i = 0; i < link_count; i++) {
        const char *why = set_up(&links[i]);
        if (why) {
            printf("root: link %s: not set up (%s; %u joined it)\n", links[i].name, why,
                   links[i].ends);
        }
    }
}

/* Maps [pa, pa + size) at va in task, in the largest flexpages both addresses allow. */
static int64_t map_range(uint64_t task, uint64_t pa, uint64_t va, uint64_t size)
{
    int64_t r = 0;
    for (uint64_t off = 0; r == 0 && off < size;) {
        unsigned order = 12;
        while (order < 30 && (((pa + off) | (va + off)) & ((2ull << order) - 1)) == 0 &&
               off + (2ull << order) <= size) {
            order++;
        }
        r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(pa + off, order, KEEL_FP_RW),
                 va + off);
        off += 1ull << order;
    }
    return r;
}

int links_give(const void *fdt, int node, const char *prog, uint64_t task,
               struct keel_progenv *env)
{
    int len = 0;
    const fdt32_t *ph = fdt_getprop(fdt, node, "keel,links", &len);
    if (ph && len / 4 > KEEL_PROG_MAX_LINKS) {
        printf("root: %s: more than %d keel,links; not started\n", prog, KEEL_PROG_MAX_LINKS);
        return -1;
    }
    for (unsigned i = 0; ph && i < (unsigned)len / 4; i++) {
        struct link *l = find(fdt32_to_cpu(ph[i]));
        if (!l || !l->mem) {
            printf("root: %s: keel,links names %s, which is not set up; not started\n", prog,
                   l ? l->name : "no node under /links");
            return -1;
        }
        unsigned end = l->node[0] == node ? 0 : 1;
        struct keel_prog_link *pl = &env->links[i];
        strncpy(pl->name, l->name, sizeof(pl->name) - 1);
        pl->va = KEEL_PROG_LINK_VA(i);
        pl->size = l->size;
        pl->irq = KEEL_PROG_LINK_IRQ(i);
        pl->peer_irq = KEEL_PROG_LINK_PEER(i);
        pl->end = end;
        pl->peer_epoch = l->epoch[1 - end];
        pl->own_epoch = l->epoch[end] + 1; /* (even now: odd once it runs) */
        l->env[end] = env;
        l->slot[end] = i;
        /* A driver gives its device the physical address (one copy: docs/devices.md); it could
         * DMA anywhere anyway, the others have no use for it. */
        pl->pa = fdt_getprop(fdt, node, "keel,devices", NULL) ? l->mem : 0;
        int64_t r = map_range(task, l->mem, pl->va, l->size);
        if (r == 0) {
            r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                     keel_fpage_cap(l->irq[end], 0, KEEL_CAP_R | KEEL_CAP_W), pl->irq);
        }
        if (r == 0) {
            r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                     keel_fpage_cap(l->irq[1 - end], 0, KEEL_CAP_R), pl->peer_irq);
        }
        if (r != 0) {
            printf("root: %s: cannot give it link %s (%s); not started\n", prog, l->name,
                   keel_strerror(r));
            return -1;
        }
        env->link_count = i + 1;
    }
    return 0;
}

/* Shows end e's epoch to the other end, if that one runs, and rings its doorbell. */
static void tell_peer(struct link *l, unsigned e)
{
    struct keel_progenv *peer = l->env[1 - e];
    if (peer) {
        __atomic_store_n(&peer->links[l->slot[1 - e]].peer_epoch, l->epoch[e], __ATOMIC_RELEASE);
        KOBJ(l->irq[1 - e], KEEL_IRQ_TRIGGER);
    }
}

void links_started(int node)
{
    for (unsigned i = 0; i < link_count; i++) {
        for (unsigned e = 0; e < 2; e++) {
            struct link *l = &links[i];
            if (l->mem && l->node[e] == node && l->env[e] && !(l->epoch[e] & 1)) {
                l->epoch[e]++;
                tell_peer(l, e);
            }
        }
    }
}

void links_ended(int node)
{
    for (unsigned i = 0; i < link_count; i++) {
        for (unsigned e = 0; e < 2; e++) {
            struct link *l = &links[i];
            if (l->mem && l->node[e] == node) {
                l->env[e] = NULL;
                if (l->epoch[e] & 1) {
                    l->epoch[e]++;
                    tell_peer(l, e);
                }
            }
        }
    }
}

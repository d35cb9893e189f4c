// SPDX-License-Identifier: MIT
/*
 * The root task's links on the host (user/root/links.c, compiled in here): what a program's
 * environment says of each link, and how the ends learn of each other's starts and ends
 * (peer_epoch, and a doorbell rung): a run, an end, a start that was abandoned (its environment
 * page gone back: never written again), a restart, and a link that is not set up. The kernel
 * calls are recorded and succeed (tests/unit/host/sys_arch.h).
 */
#include "unit.h"
#include "dtb.h"
#include "../links.c"
#include <stdlib.h>

struct keel_utcb host_utcb;
struct host_call host_calls[HOST_MAX_CALLS];
unsigned host_call_count;
int64_t host_result;
static uint64_t next_cap = 100;

uint64_t rt_cap_alloc(void)
{
    return next_cap++;
}

void *rt_pages_alloc(uint64_t count)
{
    void *p = aligned_alloc(KEEL_PAGE_SIZE, count * KEEL_PAGE_SIZE);
    if (p) {
        memset(p, 0, count * KEEL_PAGE_SIZE);
    }
    return p;
}

static const void *fdt;

static int program(const char *name)
{
    int node = fdt_path_offset(fdt, name);
    if (node < 0) {
        fprintf(stderr, "no %s\n", name);
        exit(1);
    }
    return node;
}

/* The doorbell rings (Irq TRIGGER) recorded since the last call. */
static unsigned rings(uint64_t *irq)
{
    unsigned n = 0;
    for (unsigned i = 0; i < host_call_count; i++) {
        if (host_calls[i].op == KEEL_IRQ_TRIGGER) {
            *irq = host_calls[i].cap;
            n++;
        }
    }
    host_call_count = 0;
    return n;
}

static int give(const char *name, struct keel_progenv *env)
{
    memset(env, 0, sizeof(*env));
    host_call_count = 0;
    return links_give(fdt, program(name), name, 7, env);
}

int main(void)
{
    fdt = unit_load_dtb("system_links.dtb");
    links_setup(fdt);
    CHECK_EQ(link_count, 3);
    CHECK(links[0].mem && links[1].mem && !links[2].mem); /* c: one program only */
    int p0 = program("/programs/p0"), p1 = program("/programs/p1"), p2 = program("/programs/p2");

    static struct keel_progenv e0, e1, e2, dead;
    uint64_t irq = 0;
    CHECK_EQ(give("/programs/p0", &e0), 0);
    CHECK_EQ(e0.link_count, 1);
    CHECK_STR(e0.links[0].name, "a");
    CHECK_EQ(e0.links[0].end, 0);
    CHECK_EQ(e0.links[0].size, 0x2000);
    CHECK_EQ(e0.links[0].peer_epoch, 0); /* p1 never ran */
    CHECK_EQ(e0.links[0].own_epoch, 1);  /* what p1 will see while this run lives */
    links_started(p0);
    CHECK_EQ(rings(&irq), 0); /* nobody at the other end to tell */

    /* p1 starts: it sees p0 running (1); p0 sees it start (1) and its doorbell (a end 0) rings. */
    CHECK_EQ(give("/programs/p1", &e1), 0);
    CHECK_EQ(e1.link_count, 2);
    CHECK_EQ(e1.links[0].end, 1);
    CHECK_EQ(e1.links[0].peer_epoch, 1);
    CHECK_EQ(e1.links[1].end, 0);
    CHECK_EQ(e1.links[1].peer_epoch, 0); /* b: p2 never ran */
    CHECK_EQ(rings(&irq), 0);            /* (not before it runs) */
    CHECK_EQ(e0.links[0].peer_epoch, 0);
    links_started(p1);
    CHECK_EQ(e0.links[0].peer_epoch, 1);
    CHECK_EQ(rings(&irq), 1);
    CHECK_EQ(irq, links[0].irq[0]);
    links_started(p1); /* (once per run) */
    CHECK_EQ(rings(&irq), 0);
    CHECK_EQ(e0.links[0].peer_epoch, 1);

    /* p1 ends: p0 sees 2 and is rung; p1's page is forgotten. */
    links_ended(p1);
    CHECK_EQ(e0.links[0].peer_epoch, 2);
    CHECK_EQ(rings(&irq), 1);
    CHECK_EQ(irq, links[0].irq[0]);
    CHECK(links[0].env[1] == NULL && links[1].env[0] == NULL);
    links_ended(p1); /* (an end said twice changes nothing) */
    CHECK_EQ(rings(&irq), 0);
    CHECK_EQ(e0.links[0].peer_epoch, 2);

    /* A start of p1 abandoned after its links were given: nobody is told, and its page, gone back
     * to the allocator, is never written again. */
    CHECK_EQ(give("/programs/p1", &dead), 0);
    CHECK_EQ(dead.links[0].peer_epoch, 1);
    links_ended(p1);
    CHECK_EQ(rings(&irq), 0);
    CHECK_EQ(e0.links[0].peer_epoch, 2);
    memset(&dead, 0xa5, sizeof(dead));
    links_ended(p0);
    CHECK_EQ(give("/programs/p0", &e0), 0);
    CHECK_EQ(e0.links[0].peer_epoch, 2); /* p1 does not run */
    links_started(p0);
    CHECK_EQ(dead.links[0].peer_epoch, 0xa5a5a5a5a5a5a5a5ull);
    CHECK_EQ(rings(&irq), 0); /* nobody rung */

    /* p0 ran again meanwhile (3); p1's restart sees that, and p0 sees p1's second run (3). */
    CHECK_EQ(give("/programs/p1", &e1), 0);
    CHECK_EQ(e1.links[0].peer_epoch, 3);
    CHECK_EQ(e1.links[0].own_epoch, 3); /* its second run: its first was 1, the abandoned none */
    links_started(p1);
    CHECK_EQ(e0.links[0].peer_epoch, 3);
    CHECK(keel_peer_wrote(e1.links[0].own_epoch, e0.links[0].peer_epoch));
    CHECK(!keel_peer_wrote(1, e0.links[0].peer_epoch)); /* its first run's header */
    CHECK_EQ(rings(&irq), 1);

    /* p2: link b from its end 1; c is not set up, so p2 is refused, and nobody is told. */
    CHECK_EQ(give("/programs/p2", &e2), -1);
    links_ended(p2); /* (what abandon() does) */
    CHECK_EQ(rings(&irq), 0);
    CHECK_EQ(e1.links[1].peer_epoch, 0);
    CHECK(links[1].env[1] == NULL);
    memset(&e2, 0xa5, sizeof(e2)); /* (its page gone back) */
    links_ended(p1);
    CHECK_EQ(e2.links[0].peer_epoch, 0xa5a5a5a5a5a5a5a5ull);
    CHECK_EQ(e0.links[0].peer_epoch, 4);
    CHECK(!keel_peer_wrote(3, 4)); /* p1's last header: from a run that ended */
    return unit_done("test_root_links");
}

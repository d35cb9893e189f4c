// SPDX-License-Identifier: MIT
// CPU partitions of the system device tree (see cpus.h).
#include "cpus.h"
#include <keel/rt.h>
#include <libfdt.h>
#include <string.h>

static int holder[64]; /* node offset of the program that holds a CPU exclusively, or 0 */

static uint64_t present(void)
{
    unsigned n = (unsigned)rt_kip()->cpu_count;
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* The mask of keel,cpus, or 0 after saying what is wrong with it; *given: the property exists. */
static uint64_t listed(const void *fdt, int node, const char *prog, int *given)
{
    int len;
    const fdt32_t *cells = fdt_getprop(fdt, node, "keel,cpus", &len);
    *given = cells != NULL;
    if (!cells) {
        return 0;
    }
    uint64_t mask = 0;
    for (int i = 0; i < len / 4; i++) {
        uint32_t cpu = fdt32_to_cpu(cells[i]);
        if (cpu >= 64 || !(present() & (1ull << cpu))) {
            printf("root: %s: keel,cpus names CPU %u, but the board has %lu\n", prog, cpu,
                   (unsigned long)rt_kip()->cpu_count);
            return 0;
        }
        mask |= 1ull << cpu;
    }
    if (!mask) {
        printf("root: %s: keel,cpus is empty\n", prog);
    }
    return mask;
}

void cpus_setup(const void *fdt)
{
    int programs = fdt_path_offset(fdt, "/programs"), node;
    if (programs < 0) {
        return;
    }
    fdt_for_each_subnode(node, fdt, programs)
    {
        if (!fdt_getprop(fdt, node, "keel,cpus-exclusive", NULL)) {
            continue;
        }
        const char *prog = fdt_get_name(fdt, node, NULL);
        int given;
        uint64_t mask = listed(fdt, node, prog, &given);
        if (!given) {
            printf("root: %s: keel,cpus-exclusive without keel,cpus: ignored\n", prog);
            continue;
        }
        unsigned taken = 64;
        for (unsigned cpu = 0; cpu < 64 && taken == 64; cpu++) {
            taken = (mask & (1ull << cpu)) && holder[cpu] ? cpu : 64;
        }
        if (taken < 64) { /* it claims none of them: it is refused at its start */
            printf("root: %s: CPU %u is already held exclusively by %s\n", prog, taken,
                   fdt_get_name(fdt, holder[taken], NULL));
            continue;
        }
        for (unsigned cpu = 0; cpu < 64; cpu++) {
            if (mask & (1ull << cpu)) {
                holder[cpu] = node;
            }
        }
    }
}

void cpus_release(int node)
{
    for (unsigned cpu = 0; cpu < 64; cpu++) {
        if (holder[cpu] == node) {
            holder[cpu] = 0;
        }
    }
}

uint64_t cpus_of(const void *fdt, int node, const char *prog)
{
    int given;
    uint64_t mask = listed(fdt, node, prog, &given);
    if (given && !mask) {
        return 0;
    }
    uint64_t others = 0;
    for (unsigned cpu = 0; cpu < 64; cpu++) {
        if (holder[cpu] && holder[cpu] != node) {
            others |= 1ull << cpu;
        }
    }
    if (!given) {
        mask = present() & ~others;
        if (!mask) {
            printf("root: %s: every CPU is held exclusively by other programs\n", prog);
        }
        return mask;
    }
    for (unsigned cpu = 0; cpu < 64; cpu++) {
        if (mask & others & (1ull << cpu)) {
            printf("root: %s: CPU %u is held exclusively by %s (keel,cpus-exclusive)\n", prog, cpu,
                   fdt_get_name(fdt, holder[cpu], NULL));
            return 0;
        }
    }
    return mask;
}

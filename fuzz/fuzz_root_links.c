// SPDX-License-Identifier: MIT
/*
 * Fuzz target root_links: the root task's reading of the system device tree's links
 * (user/root/links.c: /links nodes with keel,size, the programs' keel,links phandles), then what
 * it gives each program under /programs. The input is the system device tree blob, taken as the
 * root task takes it (fdt_util_check() on the file). Memory and kernel
 * objects are stand-ins: pages are addresses that are never touched, every kernel call succeeds
 * (vmm/tests/host/sys_arch.h).
 *
 * Checked besides the sanitizers: a program is given at most KEEL_PROG_MAX_LINKS links, each of
 * whole pages up to KEEL_PROG_LINK_STRIDE at its own address, at end 0 or 1, with a terminated
 * name.
 */
#include "fuzz.h"
#include "reset/reset.h"
#include "links.h"
#include <keel/rt.h>
#include <keel/progenv.h>
#include <keel/sys.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;
static uint64_t next_cap, next_page;

uint64_t rt_cap_alloc(void)
{
    return next_cap++;
}

/* Physical memory the root task would hand out; the links never touch it themselves. */
void *rt_pages_alloc(uint64_t count)
{
    if (count > (1ull << 20)) {
        return NULL;
    }
    uint64_t p = next_page;
    next_page += count * KEEL_PAGE_SIZE;
    return (void *)(uintptr_t)p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void *fdt = malloc(size ? size : 1);
    memcpy(fdt, data, size);
    if (fdt_util_check(fdt, size) != 0) {
        free(fdt);
        return 0;
    }
    fuzz_reset_links();
    next_cap = 64;
    next_page = 0x80000000;
    links_setup(fdt);
    int programs = fdt_path_offset(fdt, "/programs"), node;
    if (programs >= 0) {
        struct keel_progenv env;
        fdt_for_each_subnode(node, fdt, programs) {
            memset(&env, 0, sizeof(env));
            if (links_give(fdt, node, "fuzz", 7, &env) != 0) {
                continue;
            }
            FUZZ_CHECK(env.link_count <= KEEL_PROG_MAX_LINKS);
            for (unsigned i = 0; i < env.link_count; i++) {
                const struct keel_prog_link *l = &env.links[i];
                FUZZ_CHECK(l->size > 0 && l->size <= KEEL_PROG_LINK_STRIDE);
                FUZZ_CHECK(l->size % KEEL_PAGE_SIZE == 0);
                FUZZ_CHECK(l->va == KEEL_PROG_LINK_VA(i) && l->end <= 1);
                FUZZ_CHECK(memchr(l->name, 0, sizeof(l->name)) != NULL);
            }
        }
    }
    free(fdt);
    return 0;
}

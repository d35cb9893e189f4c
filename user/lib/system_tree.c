// SPDX-License-Identifier: MIT
// The system device tree for a program (see keel/system_tree.h).
#include <keel/system_tree.h>
#include <cpio.h>
#include <libfdt.h>
#include <string.h>

static uint64_t copy[65536 / 8];

const void *keel_system_tree(const struct keel_progenv *env)
{
    if (!env->modules_size) {
        return NULL;
    }
    const char *base = (const char *)(uintptr_t)KEEL_PROG_MODULES_BASE + env->modules_offset;
    uint64_t size = 0;
    const void *fdt = cpio_find(base, base + env->modules_size - env->modules_offset, "system.dtb",
                                &size);
    if (!fdt || size > sizeof(copy) || size < sizeof(struct fdt_header)) {
        return NULL;
    }
    void *tree = copy;
    memcpy(tree, fdt, size);
    /* (the root task read the same tree: a header check suffices) */
    return fdt_check_header(tree) == 0 && fdt_totalsize(tree) <= size ? tree : NULL;
}

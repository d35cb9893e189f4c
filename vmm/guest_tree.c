// SPDX-License-Identifier: MIT
/*
 * The VM device tree made fit for its guest (guest_tree.h): what a user's tree (QEMU's virt dump,
 * say) describes that this VM will not have is taken out before the devices are made, so that
 * the guest's tree (a copy of what stays) lists only what is there. Each removal says so once.
 */
#include "guest_tree.h"
#include <keel/rt.h>
#include <libfdt.h>
#include <stdbool.h>
#include <string.h>

/* Kinds of node that QEMU's virt boards have and Keel does not model (docs/vmm.md). */
static const struct {
    const char *compatible;
    const char *why;
} unmodelled[] = {
    { "arm,armv8-pmuv3", "a PMU (not modelled)" },
    { "arm,gic-v3-its", "a GIC ITS (not modelled)" },
    { "arm,gic-v2m-frame", "a GICv2m MSI frame (not modelled)" },
    { "arm,pl061", "a PL061 GPIO controller (not modelled)" },
    { "qemu,platform", "QEMU's platform bus (not modelled)" },
    { "riscv,pmu", "a PMU (not modelled)" },
};

/* The node's path for a message (its name alone when the path is too long). */
static void node_path(const void *fdt, int node, char *path, size_t size)
{
    if (fdt_get_path(fdt, node, path, (int)size) != 0) {
        const char *name = fdt_get_name(fdt, node, NULL);
        strncpy(path, name ? name : "?", size - 1);
        path[size - 1] = '\0';
    }
}

/* Whether the phandle names no node any more (0 and ~0 name none anyway). */
static bool dangling(const void *fdt, uint32_t phandle)
{
    return phandle != 0 && phandle != ~0u && fdt_node_offset_by_phandle(fdt, phandle) < 0;
}

/* Whether a key of a gpio-keys node names a GPIO controller that is gone (its gpios: the
 * controller's phandle first). */
static bool gpios_dangle(const void *fdt, int keys)
{
    int key;
    fdt_for_each_subnode(key, fdt, keys)
    {
        const fdt32_t *p = fdt_getprop(fdt, key, "gpios", NULL);
        if (p && dangling(fdt, fdt32_ld(&p[0]))) {
            return true;
        }
    }
    return false;
}

/* Why node is left out, or NULL when it stays. */
static const char *left_out(const void *fdt, int node)
{
    if (fdt_getprop(fdt, node, "keel,board-device", NULL)) {
        return NULL; /* passed through: what it is does not matter */
    }
    if (fdt_node_check_compatible(fdt, node, "virtio,mmio") == 0 &&
        !fdt_getprop(fdt, node, "keel,device", NULL)) {
        return "no backend (keel,device)";
    }
    if (fdt_node_check_compatible(fdt, node, "gpio-keys") == 0 && gpios_dangle(fdt, node)) {
        return "keys on a GPIO controller left out";
    }
    for (size_t i = 0; i < sizeof(unmodelled) / sizeof(unmodelled[0]); i++) {
        if (fdt_node_check_compatible(fdt, node, unmodelled[i].compatible) == 0) {
            return unmodelled[i].why;
        }
    }
    return NULL;
}

/* The first node (in tree order) that is left out, or -1. */
static int next_left_out(const void *fdt, const char **why)
{
    int depth = 0;
    for (int node = fdt_next_node(fdt, 0, &depth); node >= 0 && depth > 0;
         node = fdt_next_node(fdt, node, &depth)) {
        if ((*why = left_out(fdt, node)) != NULL) {
            return node;
        }
    }
    return -1;
}

/* msi-parent (a phandle first) or msi-map (rid-base, phandle, msi-base, length) entries naming a
 * node that is gone: the property goes (the device falls back to wired interrupts). */
static int drop_dangling_msi(void *fdt, const char *vm_name)
{
    static const struct {
        const char *name;
        int stride; /* cells per entry */
        int at;     /* the phandle's cell in an entry */
    } props[] = { { "msi-parent", 1, 0 }, { "msi-map", 4, 1 } };
    int depth = 0;
    for (int node = fdt_next_node(fdt, 0, &depth); node >= 0 && depth > 0;
         node = fdt_next_node(fdt, node, &depth)) {
        for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
            int len;
            const fdt32_t *p = fdt_getprop(fdt, node, props[i].name, &len);
            bool gone = false;
            for (int c = props[i].at; p && c < len / 4; c += props[i].stride) {
                gone = gone || dangling(fdt, fdt32_ld(&p[c]));
            }
            if (!gone) {
                continue;
            }
            char path[128];
            node_path(fdt, node, path, sizeof(path));
            printf("vmm: %s: %s: %s names a node left out, left out of the guest's tree\n", vm_name,
                   path, props[i].name);
            int r = fdt_delprop(fdt, node, props[i].name);
            if (r != 0) {
                printf("vmm: %s: %s: cannot remove %s (%s)\n", vm_name, path, props[i].name,
                       fdt_strerror(r));
                return -1;
            }
        }
    }
    return 0;
}

int guest_tree_trim(void *fdt, const char *vm_name)
{
    int removed = 0;
    const char *why;
    /* Each removal moves what follows: start again from the top (a tree has few such nodes). */
    for (int node; (node = next_left_out(fdt, &why)) >= 0; removed++) {
        char path[128];
        node_path(fdt, node, path, sizeof(path));
        int r = fdt_del_node(fdt, node);
        if (r != 0) {
            printf("vmm: %s: %s: cannot remove it (%s)\n", vm_name, path, fdt_strerror(r));
            return -1;
        }
        printf("vmm: %s: %s: %s, left out of the guest's tree\n", vm_name, path, why);
    }
    return drop_dangling_msi(fdt, vm_name) == 0 ? removed : -1;
}

int guest_tree_seed(void *fdt, struct entropy *e, const char *vm_name)
{
    uint64_t kaslr = 0;
    uint8_t rng[GUEST_TREE_RNG_SEED];
    while (kaslr == 0) {
        entropy_fill(e, &kaslr, sizeof(kaslr));
    }
    entropy_fill(e, rng, sizeof(rng));
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen == -FDT_ERR_NOTFOUND) {
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    }
    int r = chosen < 0 ? chosen : fdt_setprop_u64(fdt, chosen, "kaslr-seed", kaslr);
    if (r == 0) {
        r = fdt_setprop(fdt, chosen, "rng-seed", rng, sizeof(rng));
    }
    memset(rng, 0, sizeof(rng));
    if (r != 0) {
        printf("vmm: %s: cannot write /chosen kaslr-seed and rng-seed: %s\n", vm_name,
               fdt_strerror(r));
        return -1;
    }
    return 0;
}

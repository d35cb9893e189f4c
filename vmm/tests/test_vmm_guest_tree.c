// SPDX-License-Identifier: MIT
/*
 * Host tests of what the VMM leaves out of its guest's tree (vmm/guest_tree.c) with QEMU's own
 * arm64 virt tree (qemu_virt.dts, dumped from QEMU, with its 32 virtio-mmio transports, a PMU, an
 * ITS, a PL061 with gpio-keys and a platform bus): virtio nodes without keel,device go, those
 * with one stay (all 32 when each has one, their interrupts within the GIC model's SPIs); the
 * unmodelled nodes go and the modelled ones (fw-cfg, flash, PL031, PL011, PCI, GIC, timer) stay;
 * the PCI bridge's msi-map, which names the ITS, goes; one line says so for each; a node passed
 * through (keel,board-device) stays whatever its kind, and the gpio-keys on it; a second pass
 * removes nothing. The seeds in /chosen (guest_tree_seed): kaslr-seed 8 bytes, rng-seed 64, in
 * place of QEMU's (a seed in a file is known), new at each boot, different for another VM; a
 * tree without /chosen gets one; a tree without room says so.
 */
#define _POSIX_C_SOURCE 200809L
#include "unit.h"
#include "guest_tree.h"
#include "vm.h"
#include <libfdt.h>
#include <fdt_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vgic_model.h>

static char input[16384];
static char tree[32768];
static char out[16384];

/* A fresh copy of QEMU's tree with room to edit. */
static void *fresh(void)
{
    CHECK_EQ(fdt_open_into(input, tree, sizeof(tree)), 0);
    return tree;
}

/* guest_tree_trim() with what it prints caught in out[]; its result. */
static int trim(void *fdt)
{
    fflush(stdout);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    int saved = dup(1);
    dup2(fileno(f), 1);
    int r = guest_tree_trim(fdt, "vm1");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    return r;
}

static unsigned lines(const char *text)
{
    unsigned n = 0;
    for (const char *p = out; (p = strstr(p, text)) != NULL; p++) {
        n++;
    }
    return n;
}

static unsigned count_compatible(const void *fdt, const char *compatible)
{
    unsigned n = 0;
    for (int node = fdt_node_offset_by_compatible(fdt, -1, compatible); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, compatible)) {
        n++;
    }
    return n;
}

static void set_device(void *fdt, const char *path, const char *kind)
{
    int node = fdt_path_offset(fdt, path);
    CHECK(node >= 0);
    CHECK_EQ(fdt_setprop_string(fdt, node, "keel,device", kind), 0);
}

static void check_modelled_stay(const void *fdt)
{
    static const char *const kept[] = { "qemu,fw-cfg-mmio",
                                        "cfi-flash",
                                        "arm,pl031",
                                        "arm,pl011",
                                        "pci-host-ecam-generic",
                                        "arm,gic-v3",
                                        "arm,armv8-timer",
                                        "arm,psci-0.2",
                                        "fixed-clock" };
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        CHECK_EQ(count_compatible(fdt, kept[i]), 1u);
    }
    CHECK(fdt_path_offset(fdt, "/memory@40000000") >= 0);
    CHECK(fdt_path_offset(fdt, "/chosen") >= 0);
    CHECK(fdt_path_offset(fdt, "/cpus/cpu@0") >= 0);
}

/* QEMU's tree as it is, with a backend for two of its transports. */
static void test_qemu_tree(void)
{
    void *fdt = fresh();
    set_device(fdt, "/virtio_mmio@a000000", "blk");
    set_device(fdt, "/virtio_mmio@a003e00", "net");
    /* 30 transports, the PMU, the ITS, the PL061, gpio-keys, the platform bus */
    CHECK_EQ(trim(fdt), 35);
    CHECK_EQ(count_compatible(fdt, "virtio,mmio"), 2u);
    CHECK(fdt_path_offset(fdt, "/virtio_mmio@a000000") >= 0);
    CHECK(fdt_path_offset(fdt, "/virtio_mmio@a003e00") >= 0);
    CHECK(fdt_path_offset(fdt, "/virtio_mmio@a000200") < 0);
    static const char *const gone[] = { "arm,armv8-pmuv3", "arm,gic-v3-its", "arm,pl061",
                                        "gpio-keys", "qemu,platform" };
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        CHECK_EQ(count_compatible(fdt, gone[i]), 0u);
    }
    check_modelled_stay(fdt);
    int pcie = fdt_path_offset(fdt, "/pcie@10000000");
    CHECK(pcie >= 0);
    CHECK(fdt_getprop(fdt, pcie, "msi-map", NULL) == NULL);
    CHECK(fdt_getprop(fdt, pcie, "interrupt-map", NULL) != NULL);
    /* one line each: 35 nodes and the msi-map */
    CHECK_EQ(lines("left out of the guest's tree\n"), 36u);
    CHECK_EQ(lines("no backend (keel,device)"), 30u);
    CHECK(strstr(out, "vmm: vm1: /virtio_mmio@a000200: no backend (keel,device), left out of "
                      "the guest's tree\n") != NULL);
    CHECK(strstr(out, "vmm: vm1: /pmu: a PMU (not modelled), left out of the guest's tree\n") !=
          NULL);
    CHECK(strstr(out, "vmm: vm1: /intc@8000000/its@8080000: a GIC ITS") != NULL);
    CHECK(strstr(out, "vmm: vm1: /pcie@10000000: msi-map names a node left out") != NULL);
    CHECK_EQ(fdt_check_header(fdt), 0);
    /* What stays stays. */
    CHECK_EQ(trim(fdt), 0);
    CHECK_EQ(out[0], '\0');
}

/* Every transport with a backend: all 32 stay, each with an SPI of the GIC model's. */
static void test_32_transports(void)
{
    void *fdt = fresh();
    int node;
    unsigned n = 0;
    fdt_for_each_subnode(node, fdt, 0)
    {
        if (fdt_node_check_compatible(fdt, node, "virtio,mmio") == 0) {
            CHECK_EQ(fdt_setprop_string(fdt, node, "keel,device", "rng"), 0);
        }
    }
    CHECK_EQ(trim(fdt), 5);
    CHECK_EQ(lines("no backend"), 0u);
    fdt_for_each_subnode(node, fdt, 0)
    {
        if (fdt_node_check_compatible(fdt, node, "virtio,mmio") != 0) {
            continue;
        }
        int len;
        const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);
        CHECK(irq != NULL && len == 12);
        CHECK_EQ(fdt32_ld(&irq[0]), 0u); /* an SPI */
        CHECK(32 + fdt32_ld(&irq[1]) < 32 + VGIC_SPIS);
        n++;
    }
    CHECK_EQ(n, 32u);
    /* the 32 transports and the others QEMU's board has (GIC 2, PL011, PL031, fw-cfg, flash 2,
     * the PCI bridge's windows 3) fit a VM's devices */
    CHECK(n + 11 <= VM_MAX_DEVICES);
}

/* A node passed through stays whatever its kind. */
static void test_board_device_stays(void)
{
    void *fdt = fresh();
    int gpio = fdt_path_offset(fdt, "/pl061@9030000");
    CHECK(gpio >= 0);
    CHECK_EQ(fdt_setprop_string(fdt, gpio, "keel,board-device", "gpio0"), 0);
    /* the 32 transports, the PMU, the ITS, the platform bus: the keys on it stay too */
    CHECK_EQ(trim(fdt), 35);
    CHECK_EQ(count_compatible(fdt, "arm,pl061"), 1u);
    CHECK_EQ(count_compatible(fdt, "gpio-keys"), 1u);
    CHECK(strstr(out, "pl061") == NULL);
    CHECK(strstr(out, "gpio-keys") == NULL);
}

/* /chosen's kaslr-seed (8 bytes, *kaslr) and rng-seed (GUEST_TREE_RNG_SEED bytes, into rng). */
static void seeds(const void *fdt, uint64_t *kaslr, uint8_t *rng)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    CHECK(chosen >= 0);
    int len = 0;
    const void *k = fdt_getprop(fdt, chosen, "kaslr-seed", &len);
    CHECK(k != NULL && len == 8);
    *kaslr = k ? fdt64_ld(k) : 0;
    const void *r = fdt_getprop(fdt, chosen, "rng-seed", &len);
    CHECK(r != NULL && len == GUEST_TREE_RNG_SEED);
    if (r) {
        memcpy(rng, r, GUEST_TREE_RNG_SEED);
    }
}

static void test_seeds(void)
{
    struct entropy e1, e2;
    entropy_init(&e1, "vm1");
    entropy_init(&e2, "vm2");
    uint64_t k[4];
    uint8_t r[4][GUEST_TREE_RNG_SEED];
    void *fdt = fresh();
    /* QEMU's tree has its own (dumped with it; rng-seed of 32 bytes): replaced. */
    int chosen = fdt_path_offset(fdt, "/chosen"), len;
    const void *qemu_kaslr = fdt_getprop(fdt, chosen, "kaslr-seed", &len);
    CHECK(qemu_kaslr != NULL && len == 8 && fdt64_ld(qemu_kaslr) == 0xe9b36657f50209f1ull);
    CHECK(fdt_getprop(fdt, chosen, "rng-seed", &len) != NULL && len == 32);
    CHECK_EQ(guest_tree_seed(fdt, &e1, "vm1"), 0);
    seeds(fdt, &k[0], r[0]);
    CHECK(k[0] != 0xe9b36657f50209f1ull);
    /* The same VM booting again (a reset: the tree copied anew), and another VM. */
    fdt = fresh();
    CHECK_EQ(guest_tree_seed(fdt, &e1, "vm1"), 0);
    seeds(fdt, &k[1], r[1]);
    fdt = fresh();
    CHECK_EQ(guest_tree_seed(fdt, &e2, "vm2"), 0);
    seeds(fdt, &k[2], r[2]);
    /* A tree without /chosen (nor room to spare at first: fdt_open_into gives it). */
    fdt = fresh();
    CHECK_EQ(fdt_del_node(fdt, fdt_path_offset(fdt, "/chosen")), 0);
    CHECK_EQ(guest_tree_seed(fdt, &e1, "vm1"), 0);
    seeds(fdt, &k[3], r[3]);
    CHECK_EQ(fdt_check_header(fdt), 0);
    for (unsigned i = 0; i < 4; i++) {
        CHECK(k[i] != 0);
        unsigned zeros = 0;
        for (unsigned b = 0; b < GUEST_TREE_RNG_SEED; b++) {
            zeros += r[i][b] == 0;
        }
        CHECK(zeros < 8); /* (64 random bytes: some 0.25 expected) */
        for (unsigned j = 0; j < i; j++) {
            CHECK(k[i] != k[j]);
            CHECK(memcmp(r[i], r[j], GUEST_TREE_RNG_SEED) != 0);
        }
        CHECK(memcmp(&k[i], r[i], 8) != 0);
    }
    /* No room for them: -1 and one line, the tree still whole. */
    static char small[128]; /* a tree of a root node alone, 128 bytes in all */
    CHECK_EQ(fdt_create(small, sizeof(small)), 0);
    CHECK_EQ(fdt_finish_reservemap(small), 0);
    CHECK_EQ(fdt_begin_node(small, ""), 0);
    CHECK_EQ(fdt_end_node(small), 0);
    CHECK_EQ(fdt_finish(small), 0);
    CHECK_EQ(fdt_open_into(small, small, sizeof(small)), 0);
    fflush(stdout);
    FILE *f = tmpfile();
    int saved = dup(1);
    dup2(fileno(f), 1);
    int r_small = guest_tree_seed(small, &e1, "vm1");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    CHECK_EQ(r_small, -1);
    CHECK(strstr(out, "vmm: vm1: cannot write /chosen kaslr-seed and rng-seed") != NULL);
    CHECK_EQ(fdt_check_header(small), 0);
}

int main(void)
{
    FILE *f = fopen("qemu_virt.dtb", "rb");
    size_t n = f ? fread(input, 1, sizeof(input), f) : 0;
    if (f) {
        fclose(f);
    }
    if (fdt_util_check(input, n) != 0) {
        fprintf(stderr, "qemu_virt.dtb: not a device tree\n");
        return 1;
    }
    test_qemu_tree();
    test_32_transports();
    test_board_device_stays();
    test_seeds();
    return unit_done("test_vmm_guest_tree");
}

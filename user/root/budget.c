// SPDX-License-Identifier: MIT
/*
 * What a VMM needs (see budget.h). The kernel charges a program's factory for everything made for
 * it (keel/quota.h): its task and threads, the VM's task, the page tables and the mapping records
 * (64 bytes each) of its own space and of the VM's stage 2. The parts below were measured with
 * the peak of the factory's quota (Factory INFO MR2, which the root task prints when a program
 * ends: "kernel memory: at most N of M KiB used"), on arm64, riscv64 and x86_64 (docs/system.md,
 * "Budgets"); each is at least the largest of the three, and the sum gets a quarter more: the
 * kernel's objects and the VMM's image grow, and a refused start says so where a short quota
 * would stop the VM later.
 */
#include "budget.h"
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

#define KIB 1024ull
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

/* The VMM alone: its task (object space, page-table root, UTCB area), its first thread, its
 * Scheduler, the pages of its image (about 220 of them) and environment, the VM's task. Measured
 * for a VM of 16 MiB and one vCPU less those: 173 KiB (arm64), 186 (x86_64), 191 (riscv64). */
#define COST_BASE (192 * KIB)
/* A vCPU: a thread (its UTCB, its state area) and its kick Irq: 6.5 KiB (arm64), 11 (x86_64). */
#define COST_VCPU (12 * KIB)
/* A device: what its model makes (timer, link and input threads, passed-through windows). Too
 * little to see beside the rest (a Linux VM with 8 of them on arm64: 449 KiB in all, what the
 * other parts account for); an upper bound. */
#define COST_DEVICE (4 * KIB)
/* A page of the boot modules, mapped page by page: its record and its share of a table (8 MiB
 * more of them: 160 KiB more on arm64). */
#define COST_MODULE_PAGE 80
/* A 2 MiB block of heap, mapped to the VMM and on to the VM: two records and two entries (240
 * MiB more: 15 KiB more on arm64, 128 bytes a block); per GiB, two tables of 2 MiB entries. */
#define COST_BLOCK 160
#define COST_GIB (8 * KIB)
/* A page of a heap mapped page by page (keel,heap-in-pages), to the VMM and on to the VM: 41 KiB
 * per MiB on each side (docs/system.md), records and tables. */
#define COST_PAGE 336

#define MARGIN_QUARTERS 5 /* the need is the measured sum and a quarter */
#define ROUND (64 * KIB)

static bool is(const void *fdt, int node, const char *compatible)
{
    return fdt_node_check_compatible(fdt, node, compatible) == 0;
}

static const char *name_is(const void *fdt, int node, const char *base)
{
    const char *n = fdt_get_name(fdt, node, NULL);
    size_t len = strlen(base);
    return n && strncmp(n, base, len) == 0 && (n[len] == '\0' || n[len] == '@') ? n : NULL;
}

const char *vm_shape_read(const void *fdt, budget_module_size_fn module_size, struct vm_shape *s)
{
    *s = (struct vm_shape){ 0 };
    /* As the VMM reads it (vmm/main.c): the first memory node's first range is the RAM. */
    int mem = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
    uint64_t base;
    if (mem < 0 || !fdt_util_reg(fdt, mem, 0, &base, &s->ram)) {
        return "it has no memory node with a reg";
    }
    if ((base | s->ram) & (2 * MIB - 1) || !s->ram) {
        return "its RAM is not in whole 2 MiB blocks";
    }
    int cpus = fdt_path_offset(fdt, "/cpus"), node;
    if (cpus >= 0) {
        fdt_for_each_subnode(node, fdt, cpus)
        {
            const char *type = fdt_getprop(fdt, node, "device_type", NULL);
            s->cpus += type && strcmp(type, "cpu") == 0;
        }
    }
    s->cpus = s->cpus ? s->cpus : 1;
    /* Every node with a compatible is counted, wherever it is (a PCI device under its host
     * bridge too) but in /cpus (a hart's interrupt controller is its vCPU's): more than the VMM
     * models is a need on the safe side. */
    int depth = 0, cpus_depth = -1;
    for (node = fdt_next_node(fdt, 0, &depth); node >= 0; node = fdt_next_node(fdt, node, &depth)) {
        if (cpus_depth >= 0 && depth <= cpus_depth) {
            cpus_depth = -1; /* out of /cpus again */
        }
        if (node == cpus) {
            cpus_depth = depth;
        }
        if (cpus_depth >= 0 || !fdt_getprop(fdt, node, "compatible", NULL) || node == mem ||
            name_is(fdt, node, "chosen")) {
            continue;
        }
        s->devices++;
        uint64_t addr, size;
        if (is(fdt, node, "cfi-flash")) { /* every bank is the VMM's memory */
            for (int i = 0; fdt_util_reg(fdt, node, i, &addr, &size); i++) {
                s->heap_more += (size + 4 * KIB - 1) & ~(4 * KIB - 1);
            }
        }
        const char *disk = fdt_getprop(fdt, node, "keel,disk", NULL);
        if (disk && fdt_getprop(fdt, node, "keel,writable", NULL) && module_size) {
            s->heap_more += (module_size(disk) + 4 * KIB - 1) & ~(4 * KIB - 1);
        }
    }
    return NULL;
}

uint64_t budget_vm_memory(const struct vm_shape *s)
{
    return s->ram + s->heap_more;
}

uint64_t budget_vm_kmem(const struct vm_shape *s, uint64_t modules_size, uint64_t memory,
                        bool heap_in_pages)
{
    uint64_t heap = heap_in_pages ? (memory + 4 * KIB - 1) / (4 * KIB) * COST_PAGE
                                  : (memory + 2 * MIB - 1) / (2 * MIB) * COST_BLOCK +
                                        (memory + GIB - 1) / GIB * COST_GIB;
    uint64_t sum = COST_BASE + s->cpus * COST_VCPU + s->devices * COST_DEVICE +
                   (modules_size + 4 * KIB - 1) / (4 * KIB) * COST_MODULE_PAGE + heap;
    uint64_t need = sum * MARGIN_QUARTERS / 4;
    return (need + ROUND - 1) & ~(ROUND - 1);
}

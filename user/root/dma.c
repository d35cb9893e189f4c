// SPDX-License-Identifier: MIT
/*
 * DMA memory for a program that drives a board device (user/root/devices.c):
 *
 *   drv { ...; memory = <0x200000>; keel,devices = <&blk>; keel,dma = <0x10000>; };
 *
 * keel,dma bytes (whole pages) of RAM, physically contiguous, zeroed, mapped read-write at
 * KEEL_PROG_DMA_VA; env->dma_va, dma_pa and dma_size say where (keel/progenv.h). It comes from
 * the root task's page allocator, which hands out only RAM the kernel does not keep, at its own
 * physical address (the kernel maps physical memory to the root task at the same address,
 * sigma0): the address the program is told is the one the device must be given. It is part of
 * the program's memory: taken out of `memory` (budgets() in main.c), recorded in the program's
 * ledger, given back when the program ends (after everything mapped from it is revoked) and
 * taken fresh at its next start. Nothing moves or reclaims it meanwhile: the root task never
 * pages a program's memory.
 *
 * Mapped cacheable, like all RAM: right for a device that snoops the CPU's caches (virtio on
 * QEMU, dma-coherent devices); a driver of a device that does not cleans and invalidates the
 * buffers itself (DC CVAC / CIVAC are allowed at EL0 on arm64).
 */
#include "dma.h"
#include "ledger.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <libfdt.h>

bool dma_size(const void *fdt, int node, const char *prog, uint64_t *bytes)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, "keel,dma", &len);
    *bytes = 0;
    if (!v) {
        return true;
    }
    if (len != 4 && len != 8) {
        printf("root: %s: keel,dma is not a size of one or two cells; not started\n", prog);
        return false;
    }
    uint64_t size = len == 8 ? (uint64_t)fdt32_ld(&v[0]) << 32 | fdt32_ld(&v[1]) : fdt32_ld(v);
    if (size == 0 || size > KEEL_PROG_DMA_MAX) {
        printf("root: %s: keel,dma = <0x%lx> is not 1 to %lu MiB; not started\n", prog,
               (unsigned long)size, (unsigned long)(KEEL_PROG_DMA_MAX >> 20));
        return false;
    }
    *bytes = (size + KEEL_PAGE_SIZE - 1) & ~(KEEL_PAGE_SIZE - 1);
    return true;
}

int dma_give(const char *prog, uint64_t task, uint64_t bytes, struct ledger *l,
             struct keel_progenv *env)
{
    uint64_t count = bytes / KEEL_PAGE_SIZE;
    char *mem = rt_pages_alloc(count);
    if (!mem) {
        printf("root: %s: no %lu KiB of contiguous memory left for keel,dma; not started\n", prog,
               (unsigned long)(bytes >> 10));
        return -1;
    }
    /* Page by page in the ledger: each comes back to the free pages at the end. */
    for (uint64_t i = 0; i < count; i++) {
        ledger_add(l, mem + i * KEEL_PAGE_SIZE, LEDGER_PAGE);
    }
    int64_t r = 0;
    for (uint64_t off = 0; r == 0 && off < bytes; off += KEEL_PAGE_SIZE) {
        r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_mem((uint64_t)(uintptr_t)mem + off, 12, KEEL_FP_RW),
                 KEEL_PROG_DMA_VA + off);
    }
    if (r != 0) {
        printf("root: %s: cannot map its keel,dma (%s); not started\n", prog, keel_strerror(r));
        return -1;
    }
    env->dma_va = KEEL_PROG_DMA_VA;
    env->dma_pa = (uint64_t)(uintptr_t)mem; /* (the root task has RAM at its own address) */
    env->dma_size = bytes;
    return 0;
}

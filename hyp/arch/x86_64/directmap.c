// SPDX-License-Identifier: MIT
/*
 * The direct map beyond the 4 GiB the boot page tables cover (multiboot.S): RAM above 4 GiB gets
 * 2 MiB pages in new page directories, one per GiB, taken from the top of the highest RAM range
 * below 4 GiB (mapped already), which shrinks by as much. The directories hang off the boot PDPT,
 * shared by every address space's upper half, so tasks created later see them too. One PDPT
 * reaches 512 GiB of physical address space; RAM beyond that is left out.
 */
#include <keel/boot_info.h>
#include <keel/printk.h>
#include <arch/mmu.h>
#include <arch/x86.h>
#include <string.h>

#define GIB (1ull << 30)
#define LOW_END (4 * GIB)
#define PDPT_REACH (512 * GIB)
#define PDE_2M 0x83ull
#define PTE_PRESENT_RW 0x3ull

extern uint64_t boot_pdpt_low[512];

/* A page below 4 GiB taken from the RAM list, or NULL when there is none to spare. */
static void *take_low_page(struct boot_info *bi)
{
    struct mem_range *best = NULL;
    for (unsigned i = 0; i < bi->mem_count; i++) {
        struct mem_range *r = &bi->mem[i];
        if (pa_val(r->base) + r->size <= LOW_END && r->size > 16 * PAGE_SIZE &&
            (!best || pa_val(r->base) > pa_val(best->base))) {
            best = r;
        }
    }
    if (!best) {
        return NULL;
    }
    best->size -= PAGE_SIZE;
    void *page = kva_from_pa(pa_add(best->base, best->size));
    memset(page, 0, PAGE_SIZE);
    return page;
}

void directmap_extend(struct boot_info *bi)
{
    for (unsigned i = 0; i < bi->mem_count; i++) {
        uint64_t s = pa_val(bi->mem[i].base), e = s + bi->mem[i].size;
        if (e > PDPT_REACH) {
            printk("boot: RAM above 512 GiB not used\n");
            e = PDPT_REACH;
            bi->mem[i].size = e > s ? e - s : 0;
        }
        for (uint64_t g = s / GIB; g * GIB < e; g++) {
            if (g < LOW_END / GIB || (boot_pdpt_low[g] & 1)) {
                continue;
            }
            uint64_t *pd = take_low_page(bi);
            if (!pd) {
                printk("boot: no page for the direct map of 0x%lx\n", (unsigned long)(g * GIB));
                bi->mem[i].size = g * GIB > s ? g * GIB - s : 0;
                break;
            }
            for (uint64_t j = 0; j < 512; j++) {
                pd[j] = (g * GIB + (j << 21)) | PDE_2M;
            }
            boot_pdpt_low[g] = pa_val(pa_from_kva(pd)) | PTE_PRESENT_RW;
        }
    }
}

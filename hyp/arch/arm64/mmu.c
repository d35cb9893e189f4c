// SPDX-License-Identifier: MIT
/*
 * The kernel's own EL2 translation: one level-1 table of 1 GiB blocks mapping the first 512 GiB
 * of physical address space at its own address; blocks that hold RAM are normal write-back
 * memory, all others device memory. Also the VTCR_EL2 setup shared by every task's stage 2.
 */
#include <keel/boot_info.h>
#include <arch/sysreg.h>
#include <arch/mmu.h>
#include <stdint.h>
#include "internal.h"

#define MAIR_DEVICE_nGnRE 0x04ull
#define MAIR_NORMAL_WB 0xffull
#define MAIR_VALUE (MAIR_DEVICE_nGnRE | (MAIR_NORMAL_WB << 8))
#define ATTR_DEVICE (0ull << 2)
#define ATTR_NORMAL (1ull << 2)
#define DESC_BLOCK 1ull
#define DESC_AF (1ull << 10)
#define DESC_SH_INNER (3ull << 8)
#define DESC_AP_EL2 (1ull << 6) /* AP[1] is RES1 in the EL2 regime */
#define DESC_XN (1ull << 54)

static uint64_t el2_l1[512] __attribute__((aligned(4096)));

static int block_has_ram(const struct boot_info *bi, uint64_t base)
{
    for (unsigned i = 0; i < bi->mem_count; i++) {
        uint64_t s = pa_val(bi->mem[i].base), e = s + bi->mem[i].size;
        if (s < base + (1ull << 30) && e > base) {
            return 1;
        }
    }
    return 0;
}

void arch_mmu_build(const struct boot_info *bi)
{
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t base = i << 30;
        el2_l1[i] = block_has_ram(bi, base)
                        ? base | DESC_BLOCK | DESC_AF | DESC_SH_INNER | DESC_AP_EL2 | ATTR_NORMAL
                        : base | DESC_BLOCK | DESC_AF | DESC_AP_EL2 | ATTR_DEVICE | DESC_XN;
    }
}

/* PARange of this CPU as a TCR/VTCR PS field value (capped at 44 bits: 1 level-1 table suffices
 * for the 39-bit inputs Keel uses, the outputs may be larger). */
static uint64_t pa_range(void)
{
    uint64_t r = sysreg_read(id_aa64mmfr0_el1) & 0xf;
    return r > 4 ? 4 : r;
}

/* Turns on the EL2 MMU and caches on this CPU (boot and secondaries). */
void arch_mmu_enable(void)
{
    sysreg_write(mair_el2, MAIR_VALUE);
    /* T0SZ=25 (39-bit VA, start at level 1), WB WA inner/outer, inner shareable, 4 KiB granule. */
    uint64_t tcr = 25 | (1ull << 8) | (1ull << 10) | (3ull << 12) | (pa_range() << 16) |
                   (1ull << 23) | (1ull << 31);
    sysreg_write(tcr_el2, tcr);
    sysreg_write(ttbr0_el2, (uint64_t)(uintptr_t)el2_l1);
    /* Stage 2 for tasks: same 39-bit input, level-1 start (SL0=1). */
    uint64_t vtcr = 25 | (1ull << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) |
                    (pa_range() << 16) | (1ull << 31);
    sysreg_write(vtcr_el2, vtcr);
    dsb(ish);
    __asm__ volatile("tlbi alle2\n dsb ish\n isb" ::: "memory");
    /* M, C, SA, I plus the RES1 bits of SCTLR_EL2 (non-VHE). */
    sysreg_write(sctlr_el2, 0x30c50838ull | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 12));
    isb();
}

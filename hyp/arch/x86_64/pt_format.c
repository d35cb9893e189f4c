// SPDX-License-Identifier: MIT
/*
 * x86-64 4-level paging entries (SDM vol. 3, 4.5), also AMD's nested page tables: present means
 * readable, so R, W and X alone all give read access; PS makes a level-1 (2 MiB) or level-2
 * (1 GiB) entry a leaf. 1 GiB leaves need CPUID pdpe1gb (NPT's too): arch_pt_leaf_levels() says
 * whether this CPU has it.
 * Table entries are user-accessible (nested walks are user accesses). Devices are uncached
 * (PCD, PWT); the PAT bit of a large page (bit 12) is never set.
 */
#include "pt_format.h"

/* The two differ in their leaves alone (NX on a CPU that has it). */
#define X86_PAGING_FORMAT(fmt_name, leaf_fn)                                                       \
    {                                                                                              \
        .name = fmt_name, .leaf_levels = 7, .valid = x86_valid, .is_leaf = x86_is_leaf,            \
        .table = x86_table, .leaf = leaf_fn, .addr = x86_addr, .rights = x86_rights,               \
        .device = x86_device,                                                                      \
    }

const struct pt_format x86_paging_format = X86_PAGING_FORMAT("x86 paging", x86_leaf);
const struct pt_format x86_paging_nonx_format = X86_PAGING_FORMAT("x86 paging without NX",
                                                                  x86_leaf_nonx);

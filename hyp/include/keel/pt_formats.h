/* SPDX-License-Identifier: MIT */
/*
 * The page-table entry formats the walker (keel/pt_walk.h) knows, one file each under
 * hyp/arch/<arch>/: a kernel links those of its architecture, the host tests link them all.
 */
#pragma once
#include <keel/pt_walk.h>

extern const struct pt_format arm64_stage2_format;  /* tasks and VMs (VTTBR_EL2) */
extern const struct pt_format riscv_sv_format;      /* Sv39/Sv48 leaves with U: tasks, G-stage */
extern const struct pt_format x86_paging_format;    /* 4-level paging and AMD NPT, with NX */
extern const struct pt_format x86_paging_nonx_format; /* the same on a CPU without NX */
extern const struct pt_format x86_ept_format;       /* Intel EPT (write-back RAM, UC devices) */
extern const struct pt_format fake_format;          /* the fake architecture's software entries */

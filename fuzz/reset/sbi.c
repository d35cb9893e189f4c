// SPDX-License-Identifier: MIT
/* vmm/arch/riscv64/sbi.c: the debug console's line with its reset (see reset.h). */
#include "arch/riscv64/sbi.c"
#include "reset.h"

void fuzz_reset_sbi(void)
{
    memset(&dbcn_line, 0, sizeof(dbcn_line));
}

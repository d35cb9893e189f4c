/* SPDX-License-Identifier: MIT */
/* riscv64's CSRs for the host test of its page tables (test_riscv64_fences): each CSR the code
 * under test touches is a variable of the test's (fake_csr_<name>). */
#pragma once
#include <stdint.h>

extern uint64_t fake_csr_satp, fake_csr_hgatp, fake_csr_vsatp;

#define csr_read(csr) (fake_csr_##csr)
#define csr_write(csr, v) ((void)(fake_csr_##csr = (uint64_t)(v)))

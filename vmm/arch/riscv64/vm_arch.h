/* SPDX-License-Identifier: MIT */
/* The riscv64 parts of struct vcpu and struct vm (vm.h). */
#pragma once
#include <stdint.h>

struct vplic;

struct vcpu_arch {
    uint64_t hvip_set;   /* KEEL_HVIP_VSSIP from other vCPUs (SBI IPI; atomic), taken on resume */
    uint64_t requests;   /* KEEL_VCPU_REQ_* from other vCPUs (SBI RFENCE; atomic), likewise */
};

struct vm_arch {
    struct vplic *plic;  /* the PLIC model (plic.c), if the VM has one */
};

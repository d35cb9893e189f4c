/* SPDX-License-Identifier: MIT */
/* The riscv64 parts of struct vcpu and struct vm (vm.h). */
#pragma once
#include <stdint.h>

struct vplic;

/* The Linux Image header's magic at offset 0x38 (linux_layout.c). */
#define ARCH_LINUX_IMAGE 1
#define ARCH_LINUX_MAGIC 0x05435352u /* "RSC\x05" */
#define ARCH_LINUX_NAME "riscv64"

/* The system counter of devices that count on it (the SBSA watchdog), in Hz: 0, the kernel's
 * clock itself (keel_cycles(), rt_timer_freq() a second), which is what the guest reads in its
 * time CSR (htimedelta is 0) at the timebase-frequency. */
#define ARCH_SYSTEM_COUNTER_HZ 0

struct vcpu_arch {
    uint64_t hvip_set;   /* KEEL_HVIP_VSSIP from other vCPUs (SBI IPI; atomic), taken on resume */
    uint64_t requests;   /* KEEL_VCPU_REQ_* from other vCPUs (SBI RFENCE; atomic), likewise */
};

struct vm_arch {
    struct vplic *plic;  /* the PLIC model (plic.c), if the VM has one */
};

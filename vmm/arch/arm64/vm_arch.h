/* SPDX-License-Identifier: MIT */
/* The arm64 parts of struct vcpu and struct vm (vm.h): the GICv3 model's (vgic_v3.c). */
#pragma once
#include <stdint.h>
#include <uapi/keel/vcpu.h>
#include "ptimer.h"

struct vgic;

/* The Linux Image header's magic at offset 0x38 (linux_layout.c). */
#define ARCH_LINUX_IMAGE 1
#define ARCH_LINUX_MAGIC 0x644d5241u /* "ARM\x64" */
#define ARCH_LINUX_NAME "arm64"

/* The system counter of devices that count on it (the SBSA watchdog), in Hz: 0, the kernel's
 * clock itself (keel_cycles(), rt_timer_freq() a second), which is what the guest reads in
 * CNTVCT_EL0 (CNTVOFF_EL2 is 0) at CNTFRQ_EL0. */
#define ARCH_SYSTEM_COUNTER_HZ 0

struct vcpu_arch {
    uint32_t lr_owned;        /* list registers the VMM filled (bit per LR) */
    uint32_t lr_intid[KEEL_VGIC_LRS];
    struct ptimer ptimer; /* its EL1 physical timer (emulated: exit.c) */
    uint64_t ptimer_due;  /* when the timer thread kicks it for that timer (UINT64_MAX: not) */
};

struct vm_arch {
    struct vgic *gic;         /* the GICv3 model, if the VM has one */
};

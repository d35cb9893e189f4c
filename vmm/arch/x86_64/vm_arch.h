/* SPDX-License-Identifier: MIT */
/* The x86_64 parts of struct vcpu and struct vm (vm.h). */
#pragma once
#include <stdint.h>

/* No Linux Image format on x86: a Linux guest needs the bzImage boot protocol (not yet), so
 * main.c refuses keel,linux and loader_linux.c is never called. */
#define ARCH_LINUX_IMAGE 0
#define ARCH_LINUX_MAGIC 0u
#define ARCH_LINUX_NAME "x86_64"

#define VM_MAX_PORT_DEVICES 8 /* I/O-port devices (ports.c) */

struct vcpu_arch {
    uint64_t io_exits; /* port I/O exits (statistics) */
};

struct vm_arch {
    unsigned irq_reports; /* lines raised with no interrupt controller to take them */
};

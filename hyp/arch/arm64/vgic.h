/* SPDX-License-Identifier: MIT */
/* The GICv3 virtual CPU interface of a vCPU (vgic.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define VGIC_MAX_LRS 8

struct vgic_state {
    uint64_t lr[VGIC_MAX_LRS];
    uint64_t vmcr, ap0r0, ap1r0;
};

unsigned arch_gic_version(void);
/* Whether the board's GIC has the virtual CPU interface this file drives (GICv3). */
bool vgic_available(void);
/* Loads a vCPU's state into the CPU interface and enables it (before entering the guest). */
void vgic_load(const struct vgic_state *v);
/* Saves it and disables the interface (after the guest's run). */
void vgic_save(struct vgic_state *v);
/* Makes intid pending in a free list register of the loaded vCPU; false when none is free. */
bool vgic_inject_live(unsigned intid);

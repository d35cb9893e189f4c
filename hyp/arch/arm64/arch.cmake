# SPDX-License-Identifier: MIT
set(KEEL_LOAD_ADDR 0x40200000) # QEMU virt RAM base + the Image header's text_offset
set(KEEL_HYP_ARCH_SOURCES ${arch_dir}/boot.S ${arch_dir}/vectors.S ${arch_dir}/switch.S
    ${arch_dir}/cpu.c ${arch_dir}/psci.c ${arch_dir}/mmu.c ${arch_dir}/pt.c ${arch_dir}/pt_format.c ${arch_dir}/trap.c
    ${arch_dir}/context.c ${arch_dir}/gic.c ${arch_dir}/timer.c ${arch_dir}/guest.S ${arch_dir}/vcpu_el2.c
    ${arch_dir}/fpsimd.S ${arch_dir}/vgic.c
    ${CMAKE_CURRENT_SOURCE_DIR}/kern/boot_dt.c) # booted with a device tree

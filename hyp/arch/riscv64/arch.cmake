# SPDX-License-Identifier: MIT
# Linked at KERNEL_OFFSET + 0x80200000: the upper-half direct map of where OpenSBI starts it.
set(KEEL_LOAD_ADDR 0xffffffc080200000)
set(KEEL_HYP_ARCH_SOURCES ${arch_dir}/boot.S ${arch_dir}/trap.S ${arch_dir}/switch.S
    ${arch_dir}/cpu.c ${arch_dir}/sbi.c ${arch_dir}/pt.c ${arch_dir}/pt_format.c ${arch_dir}/trap.c ${arch_dir}/context.c
    ${arch_dir}/plic.c ${arch_dir}/timer.c ${arch_dir}/vcpu_hext.c ${arch_dir}/gstage.c
    ${arch_dir}/hext.c ${arch_dir}/guest.S ${arch_dir}/fp.S
    ${CMAKE_CURRENT_SOURCE_DIR}/kern/irq_direct_none.c # (direct delivery: arm64 GICv3's only)
    ${CMAKE_CURRENT_SOURCE_DIR}/kern/boot_dt.c) # booted with a device tree

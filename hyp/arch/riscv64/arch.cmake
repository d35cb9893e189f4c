# SPDX-License-Identifier: MIT
set(KEEL_LOAD_ADDR 0x80200000) # after OpenSBI, where QEMU and OpenSBI place the next stage
set(KEEL_HYP_ARCH_SOURCES ${arch_dir}/boot.S ${arch_dir}/cpu.c ${arch_dir}/sbi.c)

# SPDX-License-Identifier: MIT
# Linked at KERNEL_IMAGE_BASE + 1 MiB, where a multiboot loader puts the flat image (keel.bin).
set(KEEL_LOAD_ADDR 0xffffffff80100000)
set(KEEL_HYP_ARCH_SOURCES ${arch_dir}/multiboot.S ${arch_dir}/entry.S ${arch_dir}/switch.S
    ${arch_dir}/ap_boot.S ${arch_dir}/multiboot.c ${arch_dir}/directmap.c ${arch_dir}/acpi.c
    ${arch_dir}/cpu.c ${arch_dir}/gdt.c ${arch_dir}/idt.c ${arch_dir}/trap.c ${arch_dir}/lapic.c
    ${arch_dir}/ioapic.c ${arch_dir}/pit.c ${arch_dir}/timer.c ${arch_dir}/platform.c
    ${arch_dir}/context.c ${arch_dir}/pt.c ${arch_dir}/pt_format.c ${arch_dir}/pt_format_ept.c ${arch_dir}/vcpu_x86.c ${arch_dir}/vcpu_svm.c ${arch_dir}/svm_enter.S ${arch_dir}/vcpu_vmx.c ${arch_dir}/vmx_enter.S
    ${arch_dir}/vmx.c
    ${CMAKE_CURRENT_SOURCE_DIR}/kern/irq_direct_none.c # (direct delivery: arm64 GICv3's only)
    ${CMAKE_CURRENT_SOURCE_DIR}/drivers/uart_ns16550_pio.c) # the console: COM1

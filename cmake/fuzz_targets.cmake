# SPDX-License-Identifier: MIT
# The fuzz targets (fuzz/, docs/fuzzing.md). Read by two builds: the fuzz build
# (cmake/fuzz.cmake) makes a libFuzzer program of each; the host build (cmake/host.cmake) adds a
# ctest entry per target that runs the program once over its corpus and regression inputs.

# virtio/: each device model through its virtio-mmio or virtio-pci transport (the input's first
# byte chooses); the split virtqueue on its own.
foreach(device IN ITEMS blk net console rng)
    string(TOUPPER ${device} upper)
    keel_fuzz_target(virtio_${device} SOURCES fuzz/fuzz_virtio.c
        DEFINES FUZZ_DEVICE=FUZZ_${upper} LIBS fuzz_keel_virtio)
endforeach()
keel_fuzz_target(virtq SOURCES fuzz/fuzz_virtq.c LIBS fuzz_keel_virtio)
# The network switch's forwarding and the link checks (virtio/netlink.c).
keel_fuzz_target(netsw SOURCES fuzz/fuzz_netsw.c LIBS fuzz_keel_virtio)

# The riscv64 VMM: instruction decoding and the guest page walk; the PLIC with a 16550; whole exits
# (SBI, MMIO, WFI).
keel_fuzz_target(rv_insn SOURCES fuzz/fuzz_rv_insn.c LIBS fuzz_vmm_riscv64)
keel_fuzz_target(rv_plic SOURCES fuzz/fuzz_rv_plic.c LIBS fuzz_vmm_riscv64)
keel_fuzz_target(rv_exit SOURCES fuzz/fuzz_rv_exit.c LIBS fuzz_vmm_riscv64)

# The x86_64 VMM: the MOV decoder, the fetch through the guest's paging, the write-back; the
# LAPIC and the I/O APIC; whole exits (ports, MMIO with virtio devices, MSRs, CPUID, HLT...).
keel_fuzz_target(x86_insn SOURCES fuzz/fuzz_x86_insn.c LIBS fuzz_vmm_x86_64)
keel_fuzz_target(x86_apic SOURCES fuzz/fuzz_x86_apic.c LIBS fuzz_vmm_x86_64)
keel_fuzz_target(x86_exit SOURCES fuzz/fuzz_x86_exit.c LIBS fuzz_vmm_x86_64)

# The arm64 VMM: the GIC model with its GICv3 and GICv2 front ends; whole exits (the syndrome's
# decode, PSCI, system registers, WFI); the Linux Image loader.
keel_fuzz_target(arm64_gic SOURCES fuzz/fuzz_arm64_gic.c LIBS fuzz_vmm_arm64)
keel_fuzz_target(arm64_exit SOURCES fuzz/fuzz_arm64_exit.c LIBS fuzz_vmm_arm64)
keel_fuzz_target(linux_image SOURCES fuzz/fuzz_linux_image.c LIBS fuzz_vmm_arm64)

# Device trees: the VMM's VM tree into a platform (each architecture), the kernel's boot tree, the
# root task's links in the system tree.
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    keel_fuzz_target(vm_dt_${arch} SOURCES fuzz/fuzz_vm_dt.c LIBS fuzz_vmm_${arch})
endforeach()
keel_fuzz_target(boot_dt SOURCES fuzz/fuzz_boot_dt.c hyp/kern/boot_info.c
    INCLUDES ${CMAKE_SOURCE_DIR}/hyp/include LIBS fuzz_keel_fdt)
keel_fuzz_target(root_links SOURCES fuzz/fuzz_root_links.c fuzz/reset/links.c
    INCLUDES ${CMAKE_SOURCE_DIR}/user/root ${CMAKE_SOURCE_DIR}/user/include
             ${CMAKE_SOURCE_DIR}/hyp/include ${CMAKE_SOURCE_DIR}/vmm/tests/host
    LIBS fuzz_keel_fdt)

# Boot modules: the cpio archive and ELF executables.
keel_fuzz_target(cpio SOURCES fuzz/fuzz_cpio.c LIBS fuzz_keel_boot)
keel_fuzz_target(elf SOURCES fuzz/fuzz_elf.c LIBS fuzz_keel_boot)

# SPDX-License-Identifier: MIT
# Host unit tests (ctest label "unit"), built with AddressSanitizer and UndefinedBehaviorSanitizer.

keel_add_unit_test(test_format SOURCES lib/c/tests/test_format.c LIBS host_keel_c)
keel_add_unit_test(test_fdt_util SOURCES lib/fdt/tests/test_fdt_util.c LIBS host_keel_fdt
    DTS lib/fdt/tests/board.dts)
keel_add_unit_test(test_boot_info SOURCES hyp/tests/test_boot_info.c hyp/kern/boot_info.c
    LIBS host_keel_fdt INCLUDES ${CMAKE_SOURCE_DIR}/hyp/include DTS lib/fdt/tests/board.dts)

# The kernel's core logic (hyp/kern/) compiled for the host against the fake architecture
# (hyp/arch/fake): its include directory comes before hyp/include, as hyp/arch/<arch>/include does
# in the target build. Each test names the kernel sources it links; the fake arch is a library,
# so a test links only the parts it uses and may define its own printk() instead.
set(KEEL_KERN_TEST_INCLUDES ${CMAKE_SOURCE_DIR}/hyp/arch/fake/include ${CMAKE_SOURCE_DIR}/hyp/include)
add_library(host_keel_fake_arch STATIC hyp/arch/fake/pt.c hyp/arch/fake/pt_format.c hyp/kern/pt_walk.c hyp/arch/fake/cpu.c hyp/arch/fake/printk.c)
target_include_directories(host_keel_fake_arch PUBLIC ${KEEL_KERN_TEST_INCLUDES})
target_compile_options(host_keel_fake_arch PRIVATE ${KEEL_WARNINGS} ${KEEL_SANITIZE} -g)
set(KEEL_KERN_MEM_SOURCES hyp/kern/kmem.c hyp/kern/slab.c hyp/kern/quota.c)
keel_add_unit_test(test_kmem SOURCES hyp/tests/test_kmem.c ${KEEL_KERN_MEM_SOURCES}
    INCLUDES ${KEEL_KERN_TEST_INCLUDES})
keel_add_unit_test(test_mapdb SOURCES hyp/tests/test_mapdb.c hyp/kern/mapdb.c
    LIBS host_keel_fake_arch INCLUDES ${KEEL_KERN_TEST_INCLUDES})
keel_add_unit_test(test_asid SOURCES hyp/tests/test_asid.c hyp/kern/asid.c
    INCLUDES ${KEEL_KERN_TEST_INCLUDES})
keel_add_unit_test(test_objspace SOURCES hyp/tests/test_objspace.c ${KEEL_KERN_MEM_SOURCES}
    hyp/kern/kobj.c hyp/kern/objspace.c hyp/kern/mapdb.c LIBS host_keel_fake_arch
    INCLUDES ${KEEL_KERN_TEST_INCLUDES})
keel_add_unit_test(test_pt_walk SOURCES hyp/tests/test_pt_walk.c ${KEEL_KERN_MEM_SOURCES}
    hyp/arch/arm64/pt_format.c hyp/arch/riscv64/pt_format.c hyp/arch/x86_64/pt_format.c
    hyp/arch/x86_64/pt_format_ept.c LIBS host_keel_fake_arch INCLUDES ${KEEL_KERN_TEST_INCLUDES})
keel_add_unit_test(test_memspace SOURCES hyp/tests/test_memspace.c ${KEEL_KERN_MEM_SOURCES}
    hyp/kern/memspace.c hyp/kern/mapdb.c hyp/kern/phys.c LIBS host_keel_fake_arch
    INCLUDES ${KEEL_KERN_TEST_INCLUDES})
# riscv64's page tables and G-stage (hyp/arch/riscv64/pt.c, gstage.c) on the host, with its
# fences, CSRs and per-CPU pointer from hyp/tests/riscv64/arch (before riscv64's own include
# directory): which fences a map, unmap or destroy makes on which hart, logged.
keel_add_unit_test(test_riscv64_fences SOURCES hyp/tests/test_riscv64_fences.c
    hyp/arch/riscv64/pt.c hyp/arch/riscv64/gstage.c hyp/arch/riscv64/pt_format.c hyp/kern/pt_walk.c
    hyp/kern/asid.c hyp/arch/fake/printk.c ${KEEL_KERN_MEM_SOURCES}
    INCLUDES ${CMAKE_SOURCE_DIR}/hyp/tests/riscv64 ${CMAKE_SOURCE_DIR}/hyp/arch/riscv64/include
             ${CMAKE_SOURCE_DIR}/hyp/include)

# The virtio library (virtio/) on the host: the same sources as the target's keel_virtio; each test
# drives a device with a fake guest (virtio/tests/driver.c) through its virtio-mmio window and its
# virtio-pci structures (the device tests run over both; mmio and pci test each transport itself).
include(${CMAKE_SOURCE_DIR}/virtio/virtio.cmake)
add_library(host_keel_virtio STATIC ${KEEL_VIRTIO_SOURCES})
target_include_directories(host_keel_virtio PUBLIC ${KEEL_VIRTIO_INCLUDES})
target_include_directories(host_keel_virtio SYSTEM PUBLIC ${KEEL_VIRTIO_SYSTEM_INCLUDES})
target_compile_options(host_keel_virtio PRIVATE ${KEEL_WARNINGS} ${KEEL_SANITIZE} -g)
target_link_libraries(host_keel_virtio PUBLIC host_keel_c)
foreach(t IN ITEMS mmio pci virtq rng blk console net fuzz blklink netlink)
    keel_add_unit_test(test_virtio_${t} SOURCES virtio/tests/test_virtio_${t}.c virtio/tests/driver.c
        LIBS host_keel_virtio)
endforeach()

# The root task's board devices on the host (user/root/devices.c, compiled into the test): which
# nodes of a board's tree may be given to a program (status, whole pages, ranges, overlaps, the
# interrupt's parent) and what a program of a system tree gets; tests/unit/host/sys_arch.h records
# the kernel calls.
keel_add_unit_test(test_root_devices SOURCES user/root/tests/test_root_devices.c
    LIBS host_keel_fdt host_keel_c
    INCLUDES ${CMAKE_SOURCE_DIR}/tests/unit/host ${CMAKE_SOURCE_DIR}/user/root
             ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include
    DTS user/root/tests/board_devices.dts user/root/tests/board_plic.dts
        user/root/tests/system_devices.dts)

# The programs' runtime (user/lib/args.c, compiled into the test): their arguments.
keel_add_unit_test(test_rt_args SOURCES user/lib/tests/test_rt_args.c
    INCLUDES ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include)

# The root task's links (user/root/links.c, compiled into the test): what a program's environment
# says of its links, and the ends told of each other's starts and ends (peer_epoch, doorbells).
keel_add_unit_test(test_root_links SOURCES user/root/tests/test_root_links.c
    LIBS host_keel_fdt host_keel_c
    INCLUDES ${CMAKE_SOURCE_DIR}/tests/unit/host ${CMAKE_SOURCE_DIR}/user/root
             ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include
    DTS user/root/tests/system_links.dts)

# What a VMM needs (user/root/budget.c, compiled into the test): what the root task reads of a VM
# tree, the trees it refuses, and the derived kernel memory against the peaks measured.
keel_add_unit_test(test_root_budget SOURCES user/root/tests/test_root_budget.c
    LIBS host_keel_fdt host_keel_c
    INCLUDES ${CMAKE_SOURCE_DIR}/user/root
    DTS user/root/tests/vm_budget_full.dts user/root/tests/vm_budget_nomem.dts
        user/root/tests/vm_budget_bad.dts)

# The riscv64 VMM's logic on the host (vmm/tests/): instruction decoding and fetching through the
# guest's page table, the PLIC and NS16550A models, the SBI debug console, HSM hart_start and the
# hart it starts (exit.c's reset). host/sys_arch.h stands in for the system call.
keel_add_unit_test(test_vmm_riscv64 SOURCES vmm/tests/test_vmm_riscv64.c vcpu/arch/riscv64/insn.c
    vmm/arch/riscv64/plic.c vmm/arch/riscv64/sbi.c vmm/arch/riscv64/exit.c vmm/dev/uart_ns16550.c
    vmm/dev/guest_line.c LIBS host_keel_c
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/arch/riscv64 ${CMAKE_SOURCE_DIR}/vmm/tests/host
             ${CMAKE_SOURCE_DIR}/vcpu ${CMAKE_SOURCE_DIR}/vcpu/arch/riscv64
             ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include)
target_compile_definitions(test_vmm_riscv64 PRIVATE KEEL_UAPI_RISCV64)

# The arm64 VMM's PSCI and SMCCC on the host (vmm/arch/arm64/exit.c): versions, features, the
# SMC32 forms, CPU_SUSPEND, CPU_ON's entry checked against guest RAM (INVALID_ADDRESS), its context
# in x0 of the vCPU it starts. The interrupt controller and the VM's other services are the test's
# fakes.
keel_add_unit_test(test_vmm_arm64 SOURCES vmm/tests/test_vmm_arm64.c vmm/arch/arm64/exit.c
    vmm/arch/arm64/ptimer.c vcpu/arch/arm64/syndrome.c LIBS host_keel_c
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/arch/arm64 ${CMAKE_SOURCE_DIR}/vmm/tests/host
             ${CMAKE_SOURCE_DIR}/vcpu ${CMAKE_SOURCE_DIR}/vcpu/arch/arm64
             ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include)
target_compile_definitions(test_vmm_arm64 PRIVATE KEEL_UAPI_ARM64)

# The guests' console lines (vmm/dev/guest_line.c) and the PL011 that prints through them
# (vmm/dev/uart_pl011.c): long lines lose nothing.
keel_add_unit_test(test_vmm_console SOURCES vmm/tests/test_vmm_console.c vmm/dev/uart_pl011.c
    vmm/dev/guest_line.c LIBS host_keel_c
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/arch/arm64 ${CMAKE_SOURCE_DIR}/vmm/tests/host
             ${CMAKE_SOURCE_DIR}/vcpu ${CMAKE_SOURCE_DIR}/vcpu/arch/arm64
             ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include)
target_compile_definitions(test_vmm_console PRIVATE KEEL_UAPI_ARM64)
# The arm64 GIC model's view of the timers on the host (vmm/arch/arm64/vgic.c, vgic_v3.c): the
# virtual timer's injection flags, INTID 27 pending and active as the guest reads them, PPI 30
# from the emulated physical timer (ptimer.c, whose register arithmetic is checked too).
keel_add_unit_test(test_vmm_arm64_gic SOURCES vmm/tests/test_vmm_arm64_gic.c
    vmm/arch/arm64/vgic.c vmm/arch/arm64/vgic_v3.c vmm/arch/arm64/ptimer.c LIBS host_keel_c host_keel_fdt
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/arch/arm64 ${CMAKE_SOURCE_DIR}/vmm/tests/host
             ${CMAKE_SOURCE_DIR}/vcpu ${CMAKE_SOURCE_DIR}/vcpu/arch/arm64
             ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include)
target_compile_definitions(test_vmm_arm64_gic PRIVATE KEEL_UAPI_ARM64)

# Where the VMM places a Linux Image, its initrd and its device tree (vmm/linux_layout.c), once
# per architecture with its Image header (vm_arch.h).
foreach(arch IN ITEMS arm64 riscv64)
    string(TOUPPER ${arch} ARCH)
    keel_add_unit_test(test_vmm_linux_layout_${arch} SOURCES vmm/tests/test_vmm_linux_layout.c
        vmm/linux_layout.c
        INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/arch/${arch}
                 ${CMAKE_SOURCE_DIR}/hyp/include)
    target_compile_definitions(test_vmm_linux_layout_${arch} PRIVATE KEEL_UAPI_${ARCH})
endforeach()

# The x86_64 VMM's Linux boot protocol (bzImage layout, zero page) and ACPI tables.
keel_add_unit_test(test_vmm_x86_64_linux SOURCES vmm/tests/test_vmm_x86_64_linux.c
    vmm/arch/x86_64/bzimage.c vmm/arch/x86_64/acpi_tables.c vmm/arch/x86_64/acpi_pm.c
    vmm/arch/x86_64/pit.c vmm/arch/x86_64/rtc.c vmm/arch/x86_64/kvmclock.c
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm/arch/x86_64)
target_compile_definitions(test_vmm_x86_64_linux PRIVATE _GNU_SOURCE)

# The x86_64 VMM's interrupt controllers on the host (vmm/tests/): the local APIC (priorities,
# injection, timer, IPIs with INIT/STARTUP) and the I/O APIC (edge and level lines, remote IRR).
keel_add_unit_test(test_vmm_x86_64_irq SOURCES vmm/tests/test_vmm_x86_64_irq.c
    vmm/arch/x86_64/lapic.c vmm/arch/x86_64/ioapic.c
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/arch/x86_64 ${CMAKE_SOURCE_DIR}/vcpu
             ${CMAKE_SOURCE_DIR}/vmm/tests/host ${CMAKE_SOURCE_DIR}/user/include
             ${CMAKE_SOURCE_DIR}/hyp/include)
target_compile_definitions(test_vmm_x86_64_irq PRIVATE KEEL_UAPI_X86_64)

# The user-level vCPU library's tests (vcpu/CMakeLists.txt).
add_subdirectory(vcpu)

# The VMM's PCI model on the host (vmm/pci/): configuration space, BARs, MSI-X, the host bridge.
keel_add_unit_test(test_vmm_pci SOURCES vmm/tests/test_vmm_pci.c vmm/pci/pci_function.c
    vmm/pci/pci_msix.c vmm/pci/pci_host.c INCLUDES ${CMAKE_SOURCE_DIR}/vmm/pci)

# The VMM's fw_cfg device on the host (vmm/dev/fw_cfg.c): items, file directory, both interfaces, DMA.
keel_add_unit_test(test_vmm_fw_cfg SOURCES vmm/tests/test_vmm_fw_cfg.c vmm/dev/fw_cfg.c
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm/dev)

# The VMM's CFI flash on the host (vmm/dev/cfi_flash.c): commands, CFI query, program, erase.
keel_add_unit_test(test_vmm_cfi_flash SOURCES vmm/tests/test_vmm_cfi_flash.c vmm/dev/cfi_flash.c
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm/dev)

# The VMM's PL031 real-time clock on the host (vmm/dev/rtc_pl031.c): registers, count, match
# interrupt, reset; and the device from its device tree node, linked in its resettable form
# (fuzz/reset/rtc_pl031.c: one device per VMM) with the arm64 VMM's headers.
keel_add_unit_test(test_vmm_pl031 SOURCES vmm/tests/test_vmm_pl031.c fuzz/reset/rtc_pl031.c
    LIBS host_keel_fdt
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/arch/arm64
             ${CMAKE_SOURCE_DIR}/vmm/tests/host ${CMAKE_SOURCE_DIR}/fuzz/reset
             ${CMAKE_SOURCE_DIR}/vcpu ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include)
target_compile_definitions(test_vmm_pl031 PRIVATE KEEL_UAPI_ARM64)

# The VMM's SBSA Generic Watchdog on the host (vmm/dev/sbsa_gwdt.c): registers, refreshes, the WS0
# and WS1 timeouts, sizes, reserved offsets, reset, the clock scaling; and the device from its
# device tree node (both frames, its line, its timer's deadlines, WS1's VM reset), linked in its
# resettable form (fuzz/reset/sbsa_gwdt.c) with the arm64 VMM's headers.
keel_add_unit_test(test_vmm_sbsa_gwdt SOURCES vmm/tests/test_vmm_sbsa_gwdt.c fuzz/reset/sbsa_gwdt.c
    LIBS host_keel_fdt
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/arch/arm64
             ${CMAKE_SOURCE_DIR}/vmm/tests/host ${CMAKE_SOURCE_DIR}/fuzz/reset
             ${CMAKE_SOURCE_DIR}/vcpu ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include)
target_compile_definitions(test_vmm_sbsa_gwdt PRIVATE KEEL_UAPI_ARM64)

# The VMM's passed-through board devices on the host (vmm/dev/passthrough.c, compiled into the
# test) with the arm64 VMM's headers: several devices, the windows it refuses, the direct
# delivery given, ended at a vCPU's CPU_OFF and given again; tests/unit/host/sys_arch.h records
# the kernel calls.
keel_add_unit_test(test_vmm_passthrough SOURCES vmm/tests/test_vmm_passthrough.c
    LIBS host_keel_fdt
    INCLUDES ${CMAKE_SOURCE_DIR}/tests/unit/host ${CMAKE_SOURCE_DIR}/vmm
             ${CMAKE_SOURCE_DIR}/vmm/arch/arm64 ${CMAKE_SOURCE_DIR}/vcpu
             ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include
    DTS vmm/tests/passthrough.dts)
target_compile_definitions(test_vmm_passthrough PRIVATE KEEL_UAPI_ARM64)

# What the VMM leaves out of its guest's tree (vmm/guest_tree.c) on the host, with QEMU's own arm64
# virt tree (vmm/tests/qemu_virt.dts, its origin in the file): virtio nodes without a backend and
# nodes Keel does not model go, one line each; the 32 transports with backends stay. The seeds the
# VMM writes into /chosen (kaslr-seed, rng-seed; vmm/entropy.c): fresh at each boot and per VM.
keel_add_unit_test(test_vmm_guest_tree SOURCES vmm/tests/test_vmm_guest_tree.c vmm/guest_tree.c
    vmm/entropy.c
    LIBS host_keel_fdt
    INCLUDES ${CMAKE_SOURCE_DIR}/tests/unit/host ${CMAKE_SOURCE_DIR}/vmm
             ${CMAKE_SOURCE_DIR}/vmm/arch/arm64 ${CMAKE_SOURCE_DIR}/vcpu
             ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include
    DTS vmm/tests/qemu_virt.dts)
target_compile_definitions(test_vmm_guest_tree PRIVATE KEEL_UAPI_ARM64)

# The real-time guest's statistics on the host (vmm/guests/rt/rt_stats.c): sort and percentiles.
keel_add_unit_test(test_rt_stats SOURCES vmm/guests/rt/tests/test_rt_stats.c vmm/guests/rt/rt_stats.c
    INCLUDES ${CMAKE_SOURCE_DIR}/vmm/guests/rt)

# tools/keel-image, the boot modules of a user's system from paths (docs/getting-started.md): on
# small trees in a temporary folder, the cpio of a system and each error it names.
add_test(NAME unit/keel-image COMMAND python3 ${CMAKE_SOURCE_DIR}/tools/tests/test_keel_image.py)
set_tests_properties(unit/keel-image PROPERTIES TIMEOUT 120 LABELS unit)

# ci/coverage (make coverage, docs/testing.md): QEMU's in_asm logs of each architecture read into
# blocks, a block counted for an ELF only with its addresses and bytes, the table's rows, and
# ci/qemu_run.py adding nothing to QEMU's command line without KEEL_COVERAGE_DIR.
add_test(NAME unit/coverage-tool COMMAND python3 ${CMAKE_SOURCE_DIR}/ci/tests/test_coverage.py)
set_tests_properties(unit/coverage-tool PROPERTIES TIMEOUT 60 LABELS unit)
# ci/qemu_run.py's verdicts on a silent run (--silence, --stall), a small Python program in the
# emulator's place: a hung guest, idle or spinning, fails and names the marker it waited for.
add_test(NAME unit/qemu-run COMMAND python3 ${CMAKE_SOURCE_DIR}/ci/tests/test_qemu_run.py)
set_tests_properties(unit/qemu-run PROPERTIES TIMEOUT 120 LABELS unit)

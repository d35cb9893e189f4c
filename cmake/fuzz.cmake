# SPDX-License-Identifier: MIT
# The fuzz build (build/fuzz): one libFuzzer program per fuzz target of fuzz/ (docs/fuzzing.md),
# compiled with clang and -fsanitize=fuzzer,address,undefined. The host build makes it as the
# external project keel-fuzz and runs each program over its corpus in ctest; `make fuzz` runs the
# campaigns (ci/fuzz). The targets themselves are listed in cmake/fuzz_targets.cmake.
if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "the fuzz build needs clang (libFuzzer): CMAKE_C_COMPILER=clang-14")
endif()

set(KEEL_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
# Everything is instrumented for coverage; only the programs link libFuzzer's main().
set(KEEL_FUZZ_CFLAGS ${KEEL_FUZZ_SANITIZE} -fsanitize=fuzzer-no-link -g -O1)
set(KEEL_FUZZ_DIR ${CMAKE_SOURCE_DIR}/fuzz)
# Where a VMM's code finds its headers on the host; vm_arch.h comes from the architecture's
# folder, the system call from the unit tests' stand-in (vmm/tests/host/sys_arch.h).
set(KEEL_FUZZ_VMM_INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vcpu ${CMAKE_SOURCE_DIR}/vmm/tests/host
    ${CMAKE_SOURCE_DIR}/user/include ${CMAKE_SOURCE_DIR}/hyp/include)

# keel_fuzz_library(name SOURCES ... [INCLUDES ...] [DEFINES ...] [LIBS ...] [WARNINGS]):
# code under test, shared by several targets. WARNINGS: Keel's own code (warnings as errors).
function(keel_fuzz_library name)
    cmake_parse_arguments(L "WARNINGS" "" "SOURCES;INCLUDES;DEFINES;LIBS" ${ARGN})
    add_library(${name} STATIC ${L_SOURCES})
    target_include_directories(${name} PUBLIC ${L_INCLUDES})
    target_compile_definitions(${name} PUBLIC ${L_DEFINES})
    target_compile_options(${name} PRIVATE ${KEEL_FUZZ_CFLAGS}
        $<$<BOOL:${L_WARNINGS}>:${KEEL_WARNINGS}>)
    target_link_libraries(${name} PUBLIC ${L_LIBS})
endfunction()

# keel_fuzz_target(name SOURCES ... [INCLUDES ...] [DEFINES ...] [LIBS ...]): one fuzz program,
# build/fuzz/<name>; its corpus is fuzz/corpus/<name>, its regression inputs fuzz/regress/<name>.
function(keel_fuzz_target name)
    cmake_parse_arguments(T "" "" "SOURCES;INCLUDES;DEFINES;LIBS" ${ARGN})
    add_executable(${name} ${T_SOURCES})
    target_include_directories(${name} PRIVATE ${KEEL_FUZZ_DIR} ${T_INCLUDES})
    target_compile_definitions(${name} PRIVATE ${T_DEFINES})
    target_compile_options(${name} PRIVATE ${KEEL_WARNINGS} ${KEEL_FUZZ_CFLAGS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer ${KEEL_FUZZ_SANITIZE})
    target_link_libraries(${name} PRIVATE fuzz_common ${T_LIBS})
    set_property(GLOBAL APPEND PROPERTY KEEL_FUZZ_TARGETS ${name})
endfunction()

# Shared by every target: guest RAM and buffers between guard pages.
keel_fuzz_library(fuzz_common SOURCES ${KEEL_FUZZ_DIR}/fuzz_ram.c INCLUDES ${KEEL_FUZZ_DIR}
    WARNINGS)
# Keel's libraries, instrumented.
keel_fuzz_library(fuzz_keel_c SOURCES lib/c/src/format.c INCLUDES ${CMAKE_SOURCE_DIR}/lib/c/include
    WARNINGS)
keel_fuzz_library(fuzz_keel_fdt
    SOURCES ${KEEL_LIBFDT_DIR}/fdt.c ${KEEL_LIBFDT_DIR}/fdt_ro.c ${KEEL_LIBFDT_DIR}/fdt_rw.c
            ${KEEL_LIBFDT_DIR}/fdt_wip.c ${KEEL_LIBFDT_DIR}/fdt_sw.c
            ${KEEL_LIBFDT_DIR}/fdt_strerror.c ${KEEL_LIBFDT_DIR}/fdt_addresses.c
            lib/fdt/fdt_util.c
    INCLUDES ${KEEL_LIBFDT_DIR} ${CMAKE_SOURCE_DIR}/lib/fdt)
keel_fuzz_library(fuzz_keel_boot SOURCES lib/boot/cpio.c lib/boot/elf.c
    INCLUDES ${CMAKE_SOURCE_DIR}/lib/boot WARNINGS)
include(${CMAKE_SOURCE_DIR}/virtio/virtio.cmake)
keel_fuzz_library(fuzz_keel_virtio SOURCES ${KEEL_VIRTIO_SOURCES}
    INCLUDES ${KEEL_VIRTIO_INCLUDES} LIBS fuzz_keel_c WARNINGS)
target_include_directories(fuzz_keel_virtio SYSTEM PUBLIC ${KEEL_VIRTIO_SYSTEM_INCLUDES})

# The VMM of each architecture, as it builds for the host: its own code (vm.c included), the
# stand-ins for its surroundings (fuzz/vmm_fakes.c, fuzz/net_link_fake.c, fuzz/blk_link_fake.c)
# and the modules that keep file-scope state in their resettable form (fuzz/reset/).
set(KEEL_FUZZ_VMM_COMMON vmm/vm.c vmm/platform.c vmm/guest_tree.c vmm/entropy.c vmm/dev/guest_line.c
    fuzz/vmm_fakes.c fuzz/net_link_fake.c fuzz/blk_link_fake.c fuzz/reset/uart_ns16550.c
    fuzz/reset/uart_pl011.c fuzz/reset/virtio_devices.c fuzz/reset/pci_bus.c vmm/pci/pci_function.c vmm/pci/pci_msix.c
    vmm/pci/pci_host.c fuzz/reset/fw_cfg_vm.c vmm/dev/fw_cfg.c fuzz/reset/flash_vm.c
    vmm/dev/cfi_flash.c fuzz/reset/rtc_pl031.c fuzz/reset/sbsa_gwdt.c)
set(KEEL_FUZZ_VMM_LIBS fuzz_keel_virtio fuzz_keel_fdt fuzz_keel_boot fuzz_keel_c)
keel_fuzz_library(fuzz_vmm_riscv64 WARNINGS
    SOURCES ${KEEL_FUZZ_VMM_COMMON} vcpu/arch/riscv64/insn.c vmm/arch/riscv64/plic.c
            vmm/arch/riscv64/exit.c vmm/arch/riscv64/platform.c fuzz/reset/sbi.c
            fuzz/reset/platform_riscv64.c
    INCLUDES ${KEEL_FUZZ_VMM_INCLUDES} ${CMAKE_SOURCE_DIR}/vmm/arch/riscv64
             ${CMAKE_SOURCE_DIR}/vcpu/arch/riscv64 ${KEEL_FUZZ_DIR}
    DEFINES KEEL_UAPI_RISCV64 LIBS ${KEEL_FUZZ_VMM_LIBS})
keel_fuzz_library(fuzz_vmm_x86_64 WARNINGS
    SOURCES ${KEEL_FUZZ_VMM_COMMON} vcpu/arch/x86_64/insn.c vcpu/arch/x86_64/string_io.c
            vmm/arch/x86_64/lapic.c vmm/arch/x86_64/exit.c vmm/arch/x86_64/platform.c fuzz/reset/ioapic.c
            fuzz/reset/ports.c fuzz/reset/platform_x86_64.c vmm/arch/x86_64/pit.c
            vmm/arch/x86_64/acpi_pm.c vmm/arch/x86_64/kvmclock.c
            vmm/arch/x86_64/rtc.c
    INCLUDES ${KEEL_FUZZ_VMM_INCLUDES} ${CMAKE_SOURCE_DIR}/vmm/arch/x86_64
             ${CMAKE_SOURCE_DIR}/vcpu/arch/x86_64 ${KEEL_FUZZ_DIR}
    DEFINES KEEL_UAPI_X86_64 LIBS ${KEEL_FUZZ_VMM_LIBS})
keel_fuzz_library(fuzz_vmm_arm64 WARNINGS
    SOURCES ${KEEL_FUZZ_VMM_COMMON} vmm/arch/arm64/vgic.c vmm/arch/arm64/vgic_v2.c
            vmm/arch/arm64/vgic_v3.c vmm/arch/arm64/exit.c vmm/arch/arm64/ptimer.c
            vcpu/arch/arm64/syndrome.c
            vmm/arch/arm64/platform.c
            vmm/loader_linux.c vmm/linux_layout.c fuzz/reset/platform_arm64.c
    INCLUDES ${KEEL_FUZZ_VMM_INCLUDES} ${CMAKE_SOURCE_DIR}/vmm/arch/arm64
             ${CMAKE_SOURCE_DIR}/vcpu/arch/arm64 ${KEEL_FUZZ_DIR}
    DEFINES KEEL_UAPI_ARM64 LIBS ${KEEL_FUZZ_VMM_LIBS})

include(cmake/fuzz_targets.cmake)

# The list ci/fuzz runs (make fuzz), one name a line.
get_property(targets GLOBAL PROPERTY KEEL_FUZZ_TARGETS)
list(JOIN targets "\n" lines)
file(WRITE ${CMAKE_BINARY_DIR}/fuzz_targets.txt "${lines}\n")

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
set(KEEL_FUZZ_VMM_INCLUDES ${CMAKE_SOURCE_DIR}/vmm ${CMAKE_SOURCE_DIR}/vmm/tests/host
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

include(cmake/fuzz_targets.cmake)

# The list ci/fuzz runs (make fuzz), one name a line.
get_property(targets GLOBAL PROPERTY KEEL_FUZZ_TARGETS)
list(JOIN targets "\n" lines)
file(WRITE ${CMAKE_BINARY_DIR}/fuzz_targets.txt "${lines}\n")

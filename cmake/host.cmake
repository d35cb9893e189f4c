# SPDX-License-Identifier: MIT
# The host build: unit tests (with AddressSanitizer and UndefinedBehaviorSanitizer), the cross
# builds of every target architecture, the system tests that boot them, the demo and benchmarks.
include(ExternalProject)
enable_testing()

set(KEEL_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
# ci/coverage configures build/coverage-host with this: the unit tests and what they compile of
# hyp/, vmm/, virtio/ carry gcov's counters (--coverage, -O0 so lines stay lines) instead of the
# sanitizers. The normal build never sets it.
option(KEEL_COVERAGE "host unit tests instrumented for gcov (ci/coverage), not sanitized" OFF)
if(KEEL_COVERAGE)
    set(KEEL_SANITIZE --coverage -O0)
endif()
# A system test whose console says nothing for this long has hung: it fails then, naming the last
# line (ktest prints RUN: before each case), instead of at its timeout (300 s for the kernel test
# suite). The longest silence of the whole suite, measured here (each log ends with it): 7.4 s
# (Bochs' firmware and GRUB; a case of the 4-CPU arm64 GICv2 run). A loaded host stalls QEMU far
# longer: CI saw a two-VM x86_64 Linux run say nothing for 30 s in a 4 s guest sleep, and with one
# CPU hog beside it here the same run went silent for up to 21 s (the guests' clocksource watchdog
# then reports a 15-24 s late timer), on this tree and on the one before budgets; unloaded, 36 of
# 36 runs stayed under 4.1 s. So: eight times the longest measured; since the stall below catches
# a hang sooner, twice that: a whole run at host load 11 (2026-12-07) failed a sound ktest (the
# 4-CPU GICv2 stress case) on 60.2 s of silence of which QEMU had been free to run for 5.6 s.
set(KEEL_TEST_SILENCE 120)
# ... and fails sooner when the silence is counted in the emulator's own time: only the seconds in
# which the host's other jobs did not keep QEMU from running (ci/qemu_run.py --stall: the run
# queue delay of its threads, /proc/<tid>/schedstat). A loaded host then stretches a silence
# without counting it, and a guest that has hung (spinning or idle) is stopped after this many
# seconds, naming the marker it was waiting for. The longest such silence of a whole run (every
# log ends with it), at load 4-11: 16.3 s (vm/riscv64-vmm-restarted-100-times, quiet by design:
# its own STALL), then 13.1 s (OVMF in vm/x86_64-svm-uefi-linux), 8.5 s (Bochs' GRUB): about
# twice the longest ordinary one.
set(KEEL_TEST_STALL 30)
set(KEEL_QEMU_RUN ${CMAKE_SOURCE_DIR}/ci/qemu_run.py --silence ${KEEL_TEST_SILENCE}
    --stall ${KEEL_TEST_STALL})

# Host copies of the shared libraries, instrumented like the tests.
add_library(host_keel_c STATIC lib/c/src/format.c)
target_include_directories(host_keel_c PUBLIC lib/c/include)
target_compile_options(host_keel_c PRIVATE ${KEEL_WARNINGS} ${KEEL_SANITIZE} -g)
add_library(host_keel_fdt STATIC
    ${KEEL_LIBFDT_DIR}/fdt.c ${KEEL_LIBFDT_DIR}/fdt_ro.c ${KEEL_LIBFDT_DIR}/fdt_rw.c
    ${KEEL_LIBFDT_DIR}/fdt_wip.c ${KEEL_LIBFDT_DIR}/fdt_sw.c ${KEEL_LIBFDT_DIR}/fdt_strerror.c
    ${KEEL_LIBFDT_DIR}/fdt_addresses.c lib/fdt/fdt_util.c)
target_include_directories(host_keel_fdt PUBLIC ${KEEL_LIBFDT_DIR} lib/fdt)
target_compile_options(host_keel_fdt PRIVATE ${KEEL_SANITIZE} -g)

# keel_add_unit_test(name SOURCES ... [LIBS ...] [DTS file.dts ...]): one host test program.
# Each DTS is compiled with dtc next to the test, whose working directory is that folder.
function(keel_add_unit_test name)
    cmake_parse_arguments(T "" "" "SOURCES;LIBS;DTS;INCLUDES" ${ARGN})
    add_executable(${name} ${T_SOURCES})
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit ${T_INCLUDES})
    target_compile_options(${name} PRIVATE ${KEEL_WARNINGS} ${KEEL_SANITIZE} -g)
    target_link_options(${name} PRIVATE ${KEEL_SANITIZE})
    target_link_libraries(${name} PRIVATE ${T_LIBS})
    set(dir ${CMAKE_CURRENT_BINARY_DIR}/${name}.data)
    foreach(dts IN LISTS T_DTS)
        get_filename_component(stem ${dts} NAME_WE)
        add_custom_command(OUTPUT ${dir}/${stem}.dtb
            COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
            COMMAND dtc -q -I dts -O dtb -o ${dir}/${stem}.dtb ${CMAKE_SOURCE_DIR}/${dts}
            DEPENDS ${CMAKE_SOURCE_DIR}/${dts})
        target_sources(${name} PRIVATE ${dir}/${stem}.dtb)
    endforeach()
    file(MAKE_DIRECTORY ${dir})
    add_test(NAME unit/${name} COMMAND ${name} WORKING_DIRECTORY ${dir})
    set_property(GLOBAL APPEND PROPERTY KEEL_UNIT_TEST_TARGETS ${name})
    set_tests_properties(unit/${name} PROPERTIES TIMEOUT 60 LABELS unit)
endfunction()

include(cmake/unit_tests.cmake)

# One cross build per architecture, in build/<arch> beside this build.
get_filename_component(KEEL_BUILD_ROOT ${CMAKE_BINARY_DIR} DIRECTORY)
foreach(arch IN LISTS KEEL_TARGET_ARCHES)
    set(KEEL_${arch}_DIR ${KEEL_BUILD_ROOT}/${arch})
    ExternalProject_Add(keel-${arch}
        SOURCE_DIR ${CMAKE_SOURCE_DIR}
        BINARY_DIR ${KEEL_${arch}_DIR}
        CMAKE_GENERATOR ${CMAKE_GENERATOR}
        CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/toolchain-${arch}.cmake
                   -DCMAKE_BUILD_TYPE=Release
        BUILD_ALWAYS ON
        INSTALL_COMMAND ""
        USES_TERMINAL_BUILD ON)
endforeach()

# The fuzz build (cmake/fuzz.cmake) in build/fuzz, with clang; ctest runs each fuzz program once
# over its corpus and regression inputs (labels unit and fuzz); `make fuzz` runs the campaigns.
set(KEEL_FUZZ_BUILD ${KEEL_BUILD_ROOT}/fuzz)
ExternalProject_Add(keel-fuzz
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${KEEL_FUZZ_BUILD}
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    CMAKE_ARGS -DKEEL_ARCH=fuzz -DCMAKE_C_COMPILER=clang-14
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
function(keel_fuzz_target name)
    add_test(NAME fuzz/${name} COMMAND ${CMAKE_SOURCE_DIR}/ci/fuzz check ${KEEL_FUZZ_BUILD}/${name}
        ${CMAKE_SOURCE_DIR}/fuzz/corpus/${name} ${CMAKE_SOURCE_DIR}/fuzz/regress/${name})
    set_tests_properties(fuzz/${name} PROPERTIES TIMEOUT 120 LABELS "unit;fuzz")
endfunction()
include(cmake/fuzz_targets.cmake)

# keel_add_qemu_test(name BOARD b ARCH a [SMP n] [CPU c] [MEMORY m] [MACHINE_OPTS o] [TIMEOUT s]
#                    [INITRD | INITRD_NAME n (boot/<n>.cpio)] [ICOUNT | ICOUNT_SKIP_IDLE]
#                    [SILENCE s] [STALL s] EXPECT m... [REQUIRE m...] [FAIL m...] [COUNT m n...]
#                    [EXIT] [WRAP command...] [QEMU_ARGS a...]): boots
#                    build/<arch> and checks the console: EXPECT markers in order, REQUIRE markers
#                    anywhere, each COUNT marker m exactly n times. SILENCE: fails when the console
#                    says nothing for s seconds (default KEEL_TEST_SILENCE), naming the last line.
#                    STALL: fails when it says nothing for s seconds of the emulator's own time
#                    (default KEEL_TEST_STALL; a test that sets a longer SILENCE is slow by nature:
#                    its STALL is its SILENCE, unless given).
#                    ICOUNT: -icount shift=0, the machine's clocks count instructions.
#                    ICOUNT_SKIP_IDLE: sleep=off as well: time spent with every CPU waiting is
#                    skipped, not slept on the host (deterministic; for figures in guest time).
#                    WRAP: the test runs `command... -- <the run>` (ci/blk_disk.py: a fresh disk
#                    image before, its bytes checked after).
function(keel_add_qemu_test name)
    cmake_parse_arguments(T "EXIT;INITRD;ICOUNT;ICOUNT_SKIP_IDLE"
        "BOARD;ARCH;SMP;CPU;MEMORY;MACHINE_OPTS;TIMEOUT;INITRD_NAME;SILENCE;STALL"
        "EXPECT;FAIL;REQUIRE;COUNT;QEMU_ARGS;WRAP"
        ${ARGN})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 60)
    endif()
    if(NOT T_STALL)
        set(T_STALL ${KEEL_TEST_STALL})
        if(T_SILENCE)
            set(T_STALL ${T_SILENCE})
        endif()
    endif()
    if(NOT T_SILENCE)
        set(T_SILENCE ${KEEL_TEST_SILENCE})
    endif()
    set(dir ${KEEL_${T_ARCH}_DIR})
    set(cmd ${KEEL_QEMU_RUN} --board ${T_BOARD} --kernel ${dir}/hyp/keel.bin
        --timeout ${T_TIMEOUT} --silence ${T_SILENCE} --stall ${T_STALL} --log ${CMAKE_BINARY_DIR}/logs/${name}.log)
    if(T_INITRD)
        list(APPEND cmd --initrd ${dir}/boot/initrd.cpio)
    elseif(T_INITRD_NAME)
        list(APPEND cmd --initrd ${dir}/boot/${T_INITRD_NAME}.cpio)
    endif()
    foreach(opt SMP CPU MEMORY MACHINE_OPTS)
        if(T_${opt})
            string(TOLOWER ${opt} flag)
            string(REPLACE "_" "-" flag ${flag})
            list(APPEND cmd --${flag} ${T_${opt}})
        endif()
    endforeach()
    foreach(m IN LISTS T_EXPECT)
        list(APPEND cmd --expect ${m})
    endforeach()
    foreach(m IN LISTS T_FAIL)
        list(APPEND cmd --fail ${m})
    endforeach()
    foreach(m IN LISTS T_REQUIRE)
        list(APPEND cmd --require ${m})
    endforeach()
    list(LENGTH T_COUNT count_len)
    if(count_len GREATER 0)
        math(EXPR last "${count_len} - 1")
        foreach(i RANGE 0 ${last} 2)
            math(EXPR j "${i} + 1")
            list(GET T_COUNT ${i} marker)
            list(GET T_COUNT ${j} n)
            list(APPEND cmd --count ${marker} ${n})
        endforeach()
    endif()
    if(T_EXIT)
        list(APPEND cmd --expect-exit)
    endif()
    if(T_ICOUNT_SKIP_IDLE)
        list(APPEND cmd --icount-skip-idle)
    elseif(T_ICOUNT)
        list(APPEND cmd --icount)
    endif()
    if(T_QEMU_ARGS) # (the emulator's own arguments, last: after --)
        list(APPEND cmd -- ${T_QEMU_ARGS})
    endif()
    if(T_WRAP) # a command that runs the test's command (e.g. prepares and checks a disk image)
        set(cmd ${T_WRAP} -- ${cmd})
    endif()
    add_test(NAME ${name} COMMAND ${cmd})
    math(EXPR ctest_timeout "${T_TIMEOUT} + 30")
    set_tests_properties(${name} PROPERTIES TIMEOUT ${ctest_timeout} LABELS system)
    if(T_BOARD MATCHES "^bochs")
        # Minutes each (Bochs emulates every instruction): started first, so that a clean
        # checkout's run (no timings from earlier runs) packs the others beside them.
        set_tests_properties(${name} PROPERTIES COST 1000)
    endif()
endfunction()

include(cmake/system_tests.cmake)

# The C lines the last commit changed, as .clang-format has them (ci/format-check).
add_test(NAME style/clang-format COMMAND ${CMAKE_SOURCE_DIR}/ci/format-check)
set_tests_properties(style/clang-format PROPERTIES TIMEOUT 60 LABELS style)
include(cmake/images.cmake)

# The demo: make run [ARCH=...] [CHECK=1] [SYSTEM=name] (CHECK and SYSTEM are read from the
# environment by ci/demo; SYSTEM names boot modules built here, e.g. consolidation, or is the path
# of a system device tree), and make image SYSTEM=path [OUT=dir] (ci/system-image: the boot image
# of a user's system, from the programs and guest files built here and the files its trees name).
foreach(arch IN LISTS KEEL_TARGET_ARCHES)
    add_custom_target(image-${arch}
        COMMAND ${CMAKE_SOURCE_DIR}/ci/system-image ${arch} ${KEEL_BUILD_ROOT}
        DEPENDS keel-${arch} USES_TERMINAL)
    if(TARGET images-${arch})
        add_dependencies(image-${arch} images-${arch})
    endif()
    add_custom_target(run-${arch}
        COMMAND ${CMAKE_SOURCE_DIR}/ci/demo ${arch} ${KEEL_${arch}_DIR} ${KEEL_IMAGES_DIR}/${arch}
        DEPENDS keel-${arch} USES_TERMINAL)
    if(TARGET demo-${arch})
        add_dependencies(run-${arch} demo-${arch})
    endif()
    if(TARGET consolidation-${arch})
        add_dependencies(run-${arch} consolidation-${arch})
    endif()
endforeach()

# The unit test programs alone (ci/coverage builds this target, not the cross builds).
get_property(keel_unit_test_targets GLOBAL PROPERTY KEEL_UNIT_TEST_TARGETS)
add_custom_target(unit-tests)
add_dependencies(unit-tests ${keel_unit_test_targets})

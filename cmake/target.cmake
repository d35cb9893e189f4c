# SPDX-License-Identifier: MIT
# A cross build for one architecture: freestanding kernel and user programs.
if(NOT KEEL_ARCH MATCHES "^(arm64|riscv64|x86_64)$")
    message(FATAL_ERROR "unknown KEEL_ARCH '${KEEL_ARCH}'")
endif()

separate_arguments(arch_flags UNIX_COMMAND "${KEEL_ARCH_CFLAGS}")
separate_arguments(arch_ldflags UNIX_COMMAND "${KEEL_ARCH_LDFLAGS}") # link only (optional)
# No C library headers from the cross toolchain: only the compiler's own (stdint.h, stdarg.h...)
# and Keel's lib/c.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
    OUTPUT_VARIABLE gcc_include OUTPUT_STRIP_TRAILING_WHITESPACE)
add_compile_options(-ffreestanding -fno-common -fno-stack-protector -fno-pie -O2 -g
    -fno-asynchronous-unwind-tables -nostdinc -isystem ${gcc_include} ${arch_flags})
add_link_options(-nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments
    ${arch_flags} ${arch_ldflags}) # the architecture flags again: LTO compiles at link time

add_subdirectory(lib)
add_subdirectory(virtio)
add_subdirectory(hyp)
add_subdirectory(user)
# Guests of the project's own built in C (after user/: they use its keel_add_initrd()).
add_subdirectory(vmm/guests/rt)
add_subdirectory(vmm/guests/wdt)

# SPDX-License-Identifier: MIT
# Cross toolchain for Keel on arm64 (freestanding: kernel and user programs).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(KEEL_ARCH arm64 CACHE STRING "Keel target architecture")
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy CACHE FILEPATH "")
set(KEEL_ARCH_CFLAGS "-mgeneral-regs-only -mstrict-align -mno-outline-atomics")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

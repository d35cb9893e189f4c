# SPDX-License-Identifier: MIT
# Toolchain for Keel on x86_64 (freestanding, the host gcc with kernel flags).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(KEEL_ARCH x86_64 CACHE STRING "Keel target architecture")
set(CMAKE_C_COMPILER gcc)
set(CMAKE_ASM_COMPILER gcc)
set(CMAKE_OBJCOPY objcopy CACHE FILEPATH "")
set(KEEL_ARCH_CFLAGS "-mno-red-zone -mno-sse -mno-mmx -mno-80387 -mcmodel=kernel")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

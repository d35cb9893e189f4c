# SPDX-License-Identifier: MIT
# Toolchain for Keel on x86_64 (freestanding, the host gcc with kernel flags).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(KEEL_ARCH x86_64 CACHE STRING "Keel target architecture")
set(CMAKE_C_COMPILER gcc)
set(CMAKE_ASM_COMPILER gcc)
set(CMAKE_OBJCOPY objcopy CACHE FILEPATH "")
# No red zone (interrupts push on the kernel stack), no FP/SIMD state in kernel or user runtime.
# -fpie: RIP-relative code runs at any link address, so one build of lib/ serves the kernel (top
# 2 GiB) and user programs (e.g. at 0x3f00000000); they are still linked static, not as PIE.
# -ffixed-r15: r15 holds the UTCB pointer at user level (docs/abi.md).
set(KEEL_ARCH_CFLAGS "-mno-red-zone -mno-sse -mno-mmx -mno-80387 -fpie -ffixed-r15")
# ld would turn the GOT loads of -fpie code into 32-bit absolute addresses, which programs above
# 4 GiB cannot have ("failed to convert GOTPCREL relocation"): keep the loads.
set(KEEL_ARCH_LDFLAGS "-Wl,--no-relax")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# SPDX-License-Identifier: MIT
# Cross toolchain for Keel on riscv64 (freestanding: kernel and user programs).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(KEEL_ARCH riscv64 CACHE STRING "Keel target architecture")
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_OBJCOPY riscv64-linux-gnu-objcopy CACHE FILEPATH "")
# rv64imac: no floating point in kernel or user runtime; medany so code runs at its physical address
# before paging is on.
set(KEEL_ARCH_CFLAGS "-march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -mno-relax")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# SPDX-License-Identifier: MIT
# System tests (ctest label "system"): boot the real kernel on emulated boards, judge the console.

keel_add_qemu_test(boot/arm64-gicv3 BOARD qemu-virt-arm64 ARCH arm64 TIMEOUT 30
    EXPECT "Keel hypervisor (arm64)" "KEEL BOOT OK" EXIT)
keel_add_qemu_test(boot/arm64-gicv2-max-smp4 BOARD qemu-virt-arm64 ARCH arm64 TIMEOUT 30
    CPU max SMP 4 MACHINE_OPTS gic-version=2 EXPECT "boot: 4 CPUs" "KEEL BOOT OK" EXIT)
keel_add_qemu_test(boot/riscv64 BOARD qemu-virt-riscv64 ARCH riscv64 TIMEOUT 30
    EXPECT "Keel hypervisor (riscv64)" "KEEL BOOT OK" EXIT)
keel_add_qemu_test(boot/riscv64-smp4 BOARD qemu-virt-riscv64 ARCH riscv64 TIMEOUT 30 SMP 4
    EXPECT "boot: 4 CPUs" "KEEL BOOT OK" EXIT)

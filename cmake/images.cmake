# SPDX-License-Identifier: MIT
# Guest and boot images (images/, docs/images.md), included by the host build:
#  - images-<arch>: guest Linux kernel, initramfs and test disk, built by images/build into the
#    cache ($KEEL_CACHE/images, default ~/.cache/keel/images) and linked into build/host/images/<arch>;
#  - bootimage-<arch>: Keel + boot modules + board device tree as a U-Boot FIT on a boot disk, in
#    build/host/images/<arch>/boot;
#  - their system tests: each guest kernel directly on its QEMU board (linux-bare/...), and Keel
#    booted by U-Boot from the FIT (uboot/...); a host unit test of the init's helpers.

set(KEEL_IMAGE_ARCHES arm64 riscv64 x86_64)
set(KEEL_IMAGES_DIR ${CMAKE_BINARY_DIR}/images)

keel_add_unit_test(test_init_util SOURCES images/init/tests/test_init_util.c images/init/util.c
    images/init/sha256.c INCLUDES ${CMAKE_SOURCE_DIR}/images/init)

# The long step (a cold kernel build, about 2.5 min each on 2 cores) prints its progress; a warm
# run only hashes the inputs and finds the outputs in the cache. The console pool also keeps the
# kernel builds from running at the same time.
foreach(arch IN LISTS KEEL_IMAGE_ARCHES)
    add_custom_target(images-${arch} ALL
        COMMAND ${CMAKE_SOURCE_DIR}/images/build ${arch} ${KEEL_IMAGES_DIR}/${arch}
        COMMENT "images: ${arch} guest kernel, root file system and test disk (cached)"
        USES_TERMINAL)
endforeach()

# keel_add_linux_test(name ARCH MODE SMP): a guest kernel directly on its board (images/run-linux).
function(keel_add_linux_test name arch mode smp)
    add_test(NAME ${name} COMMAND ${CMAKE_SOURCE_DIR}/images/run-linux --arch ${arch}
        --images ${KEEL_IMAGES_DIR}/${arch} --mode ${mode} --smp ${smp} --timeout 90
        --log ${CMAKE_BINARY_DIR}/logs/${name}.log)
    set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS system)
endfunction()

foreach(arch IN LISTS KEEL_IMAGE_ARCHES) # x86_64 (on request): q35 with the devices on virtio-pci
    keel_add_linux_test(linux-bare/${arch}-checks ${arch} check 2)
    keel_add_linux_test(linux-bare/${arch}-checks-fail ${arch} negative 2)
endforeach()
# The benchmark's boot under -icount (bench/linux-boot.sh): riscv64 with one hart, see docs/images.md.
keel_add_linux_test(linux-bare/arm64-icount arm64 bench 2)
keel_add_linux_test(linux-bare/riscv64-icount riscv64 bench 1)

# The boot image, and U-Boot starting Keel from it: arm64 with U-Boot as the firmware (-bios, at
# EL2 since the board has virtualization=on; Keel stops at once at any other EL), riscv64 with
# U-Boot in S-mode (HS with the H extension) under QEMU's OpenSBI.
set(KEEL_UBOOT_arm64 /usr/lib/u-boot/qemu_arm64/u-boot.bin)
set(KEEL_UBOOT_riscv64 /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin)
foreach(arch arm64 riscv64)
    set(out ${KEEL_IMAGES_DIR}/${arch}/boot)
    add_custom_target(bootimage-${arch} ALL
        COMMAND ${CMAKE_SOURCE_DIR}/images/bootimage.py --arch ${arch} --build-root ${KEEL_BUILD_ROOT}
            --out ${out} --smp 2
        COMMENT "images: ${arch} FIT boot image")
    add_dependencies(bootimage-${arch} keel-${arch})

    set(name uboot/${arch}-fit)
    if(arch STREQUAL "arm64")
        set(firmware --bios ${KEEL_UBOOT_arm64})
    else()
        set(firmware --kernel ${KEEL_UBOOT_riscv64})
    endif()
    add_test(NAME ${name} COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-${arch} ${firmware} --smp 2
        --timeout 60 --log ${CMAKE_BINARY_DIR}/logs/${name}.log
        --expect "Verifying Hash Integrity ... sha256+ OK" --expect "Starting kernel"
        --expect "Keel hypervisor (${arch})" --expect "KEEL BOOT OK" --fail "initrd 0 bytes"
        -- -drive if=none,id=boot,file=${out}/bootdisk.img,format=raw
           -device virtio-blk-device,drive=boot)
    set_tests_properties(${name} PROPERTIES TIMEOUT 90 LABELS system)
endforeach()

# keel_add_vm_modules(target arch out.cpio system.dts vm.dts...): the boot modules of VMs under
# Keel (root task, VMM, guest kernel, initramfs, test disk, device trees) as one cpio
# (images/vm-initrd), built with the images and the cross build of arch.
function(keel_add_vm_modules target arch out system)
    add_custom_target(${target} ALL
        COMMAND ${CMAKE_SOURCE_DIR}/images/vm-initrd ${out} ${KEEL_BUILD_ROOT} ${KEEL_IMAGES_DIR}/${arch}
            ${system} ${ARGN}
        COMMENT "images: ${target} boot modules")
    add_dependencies(${target} images-${arch} keel-${arch})
endfunction()

# The first Linux VM (arm64): the images/ kernel and initramfs as a guest of Keel's VMM
# (dts/vms/linux-arm64.dts), and its test.
set(vm_linux ${KEEL_IMAGES_DIR}/arm64/vm-linux.cpio)
keel_add_vm_modules(vm-linux-arm64 arm64 ${vm_linux}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-arm64.dts)
# The same Linux VM on a GICv2 board (list registers in GICH, the guest's GICC is the GICV).
set(vm_linux_v2 ${KEEL_IMAGES_DIR}/arm64/vm-linux-gicv2.cpio)
keel_add_vm_modules(vm-linux-gicv2-arm64 arm64 ${vm_linux_v2}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-gicv2-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-gicv2-arm64.dts)
add_test(NAME vm/arm64-gicv2-linux-guest COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --machine-opts gic-version=2 --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${vm_linux_v2}
    --smp 2 --timeout 120 --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-gicv2-linux-guest.log
    --expect "gic: GICv2" --expect "virtual interface"
    --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online" --expect "vm1| KEEL-INIT CHECK blk PASS"
    --expect "vm1| KEEL-INIT CHECK rng PASS" --expect "vm1| KEEL-INIT CHECK hvc PASS"
    --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed" --expect "vmm: vm1: guest powered off, status 0"
    --expect "KEEL: power off" --expect-exit
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL")
set_tests_properties(vm/arm64-gicv2-linux-guest PROPERTIES TIMEOUT 150 LABELS system)

# Two Linux VMs on each of arm64 and riscv64 (the board's virtio-net on transport <bus>):
# - vm/<arch>-linux-two-vms-ping: they ping each other over virtio-net and a shared-memory link;
#   VM 2 ends first, and VM 1's VMM takes its guest's link down (the cable's other end ended).
# - vm/<arch>-linux-switch: behind the network switch (user/netsw, docs/devices.md) they ping each
#   other through it; VM 2 sends a frame as VM 1 (its MAC address as the source), which the switch
#   drops and says so; the switch drives the board's virtio-net, QEMU's user network with
#   restrict=on and one forward from 127.0.0.1 (a free port) to VM 1's TCP echo service, which the
#   host reaches and checks (ci/qemu_run.py --user-net, --echo-check).
# - vm/<arch>-linux-switch-restart: the same two VMs with the switch crashing
#   (dts/systems/vm-switch-restart-<arch>.dts): its first run exits after the 24th frame, in VM 1's
#   timed pings; the root task starts it again a second later. The VMMs take their guests' links
#   down when it ends (before its restart: the root task tells them), then up once generation 2
#   is there, and the pings go on: VM 1's 20 timed pings are all answered (the ones the outage
#   lost are sent again), its guest saw its carrier go once, no VM crashes.
foreach(spec IN ITEMS arm64:30 riscv64:6)
    string(REPLACE ":" ";" spec ${spec})
    list(GET spec 0 arch)
    list(GET spec 1 bus)
    set(run ${KEEL_QEMU_RUN} --board qemu-virt-${arch} --kernel ${KEEL_BUILD_ROOT}/${arch}/hyp/keel.bin
        --smp 2 --timeout 120)
    set(both_done --require "vm1| KEEL-INIT DONE 2 passed, 0 failed"
        --require "vm2| KEEL-INIT DONE 2 passed, 0 failed")

    set(cpio ${KEEL_IMAGES_DIR}/${arch}/vm-net.cpio)
    keel_add_vm_modules(vm-net-${arch} ${arch} ${cpio}
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-net-${arch}.dts
        ${CMAKE_SOURCE_DIR}/dts/vms/net1-${arch}.dts ${CMAKE_SOURCE_DIR}/dts/vms/net2-${arch}.dts)
    set(name vm/${arch}-linux-two-vms-ping)
    add_test(NAME ${name} COMMAND ${run} --initrd ${cpio} --log ${CMAKE_BINARY_DIR}/logs/${name}.log
        --require "vm1| KEEL-INIT CHECK net PASS eth0 10.0.0.1/24"
        --require "vm2| KEEL-INIT CHECK net PASS eth0 10.0.0.2/24"
        --require "vm1| KEEL-INIT RTT 20 of 20 answered" ${both_done}
        --require "vmm: vm1: link net0: the other end ended: link down" # (VM 2 ends 2 s before)
        --expect "root: all programs done" --expect "KEEL: power off" --expect-exit
        --fail "CHECK net FAIL" --fail "CHECK cpus FAIL")
    set_tests_properties(${name} PROPERTIES TIMEOUT 150 LABELS system)

    set(switch_vms ${CMAKE_SOURCE_DIR}/dts/vms/sw1-${arch}.dts ${CMAKE_SOURCE_DIR}/dts/vms/sw2-${arch}.dts
        ${KEEL_BUILD_ROOT}/${arch}/user/netsw)
    set(cpio ${KEEL_IMAGES_DIR}/${arch}/vm-switch.cpio)
    keel_add_vm_modules(vm-switch-${arch} ${arch} ${cpio}
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-switch-${arch}.dts ${switch_vms})
    set(name vm/${arch}-linux-switch)
    add_test(NAME ${name} COMMAND ${run} --initrd ${cpio} --log ${CMAKE_BINARY_DIR}/logs/${name}.log
        --user-net 10.0.2.15:7 --echo-check "vm1| KEEL-INIT ECHO listening on tcp port 7"
        --expect "netsw: port vm1-net: 02:4b:45:45:4c:01, " --expect "netsw: port vm2-net: 02:4b:45:45:4c:02, "
        --expect "netsw: device nic: the uplink (port 2)"
        --require "vmm: vm1: link vm1-net: on the switch as 02:4b:45:45:4c:01"
        --require "vmm: vm2: link vm2-net: on the switch as 02:4b:45:45:4c:02"
        --require "vm1| KEEL-INIT CHECK net PASS eth0 10.0.2.15/24"
        --require "vm2| KEEL-INIT CHECK net PASS eth0 10.0.2.16/24"
        --require "vm1| KEEL-INIT RTT 20 of 20 answered"
        --require "vm2| KEEL-INIT SPOOF sent a frame from 02:4b:45:45:4c:01 on eth0"
        --require "netsw: port vm2-net: a frame from 02:4b:45:45:4c:01: source address not its own: dropped"
        ${both_done}
        --expect "vm1| KEEL-INIT ECHO listening on tcp port 7"
        --expect "vm1| KEEL-INIT ECHO served 3000 bytes to 10.0.2.2"
        --expect "vmm: vm1: guest powered off, status 0" --require "vmm: vm2: guest powered off, status 0"
        --fail "CHECK net FAIL" --fail "CHECK cpus FAIL" --fail "not served"
        -- -global virtio-mmio.force-legacy=false
        -device virtio-net-device,netdev=usernet,bus=virtio-mmio-bus.${bus})
    set_tests_properties(${name} PROPERTIES TIMEOUT 150 LABELS system)

    set(cpio ${KEEL_IMAGES_DIR}/${arch}/vm-switch-restart.cpio)
    keel_add_vm_modules(vm-switch-restart-${arch} ${arch} ${cpio}
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-switch-restart-${arch}.dts ${switch_vms})
    set(name vm/${arch}-linux-switch-restart)
    add_test(NAME ${name} COMMAND ${run} --initrd ${cpio} --log ${CMAKE_BINARY_DIR}/logs/${name}.log
        --expect "netsw: port vm1-net: 02:4b:45:45:4c:01, 62 slots each way, generation 1"
        --expect "netsw: frame 24 taken: exiting (exit-after)"
        --expect "root: netsw exited with status 2" --require "root: netsw: restart in 1000 ms"
        --expect "vmm: vm1: link vm1-net: the switch ended: link down"
        --require "vmm: vm2: link vm2-net: the switch ended: link down"
        --expect "root: netsw: restart 1 of at most 1"
        --require "netsw: port vm1-net: 02:4b:45:45:4c:01, 62 slots each way, generation 2"
        --require "netsw: port vm2-net: 02:4b:45:45:4c:02, 62 slots each way, generation 2"
        --expect "vmm: vm1: link vm1-net: the switch is back (generation 2): link up"
        --require "vmm: vm2: link vm2-net: the switch is back (generation 2): link up"
        --require "vm1| KEEL-INIT RTT 20 of 20 answered" --require "us, carrier lost 1 times"
        ${both_done}
        --expect "vmm: vm1: guest powered off, status 0" --require "vmm: vm2: guest powered off, status 0"
        --fail "CHECK net FAIL" --fail "CHECK cpus FAIL" --fail "not served")
    set_tests_properties(${name} PROPERTIES TIMEOUT 150 LABELS system)
endforeach()

# A VMM restarted on a switch link (dts/systems/vm-switch-vmm-restart-arm64.dts): VM 2's guest
# pings VM 1 through the switch and powers off; the root task starts its VMM again at once; the
# new VMM takes the link over as the dead one left it (the switch's header, the rings' indices),
# and its new guest pings VM 1 again, while the switch and VM 1 run on. The switch stops
# forwarding to VM 2's port while its VMM does not run, and starts again when it does.
set(cpio ${KEEL_IMAGES_DIR}/arm64/vm-switch-vmm-restart.cpio)
keel_add_vm_modules(vm-switch-vmm-restart-arm64 arm64 ${cpio}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-switch-vmm-restart-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/swr1-arm64.dts ${CMAKE_SOURCE_DIR}/dts/vms/sw2-arm64.dts
    ${KEEL_BUILD_ROOT}/arm64/user/netsw)
set(name vm/arm64-linux-switch-vmm-restart)
add_test(NAME ${name} COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${cpio} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/${name}.log
    --require "vm1| KEEL-INIT CHECK net SKIP eth0 10.0.2.15/24 is up"
    --expect "vmm: vm2: link vm2-net: on the switch as 02:4b:45:45:4c:02"
    --expect "vm2| KEEL-INIT CHECK net PASS eth0 10.0.2.16/24"
    --expect "vm2| KEEL-INIT DONE 2 passed, 0 failed" --expect "root: vm2 exited with status 0"
    --expect "root: vm2: restart 1 of at most 1"
    --require "netsw: port vm2-net: its VMM runs again: forwarded to"
    --expect "vmm: vm2: link vm2-net: on the switch as 02:4b:45:45:4c:02"
    --expect "vm2| KEEL-INIT CHECK net PASS eth0 10.0.2.16/24"
    --expect "vm2| KEEL-INIT DONE 2 passed, 0 failed" --expect "root: vm2 exited with status 0"
    --fail "CHECK net FAIL" --fail "CHECK cpus FAIL" --fail "not served" --fail "vmm: vm1: guest powered off")
set_tests_properties(${name} PROPERTIES TIMEOUT 150 LABELS system)

# The flood benchmark's boot modules (bench/net-flood.sh; no test boots them): three VMs on the
# switch, VM 3 flooding it (vm-flood) or quiet (vm-flood-quiet) while VMs 1 and 2 ping.
foreach(variant IN ITEMS flood flood-quiet)
    if(variant STREQUAL "flood")
        set(vm3 ${CMAKE_SOURCE_DIR}/dts/vms/flood3-arm64.dts)
    else()
        set(vm3 ${CMAKE_SOURCE_DIR}/dts/vms/quiet3-arm64.dts)
    endif()
    keel_add_vm_modules(vm-${variant}-arm64 arm64 ${KEEL_IMAGES_DIR}/arm64/vm-${variant}.cpio
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-${variant}-arm64.dts
        ${CMAKE_SOURCE_DIR}/dts/vms/flood1-arm64.dts ${CMAKE_SOURCE_DIR}/dts/vms/flood2-arm64.dts ${vm3}
        ${KEEL_BUILD_ROOT}/arm64/user/netsw)
endforeach()

# The VMM of one Linux VM is stopped mid-boot; the other runs on and passes its checks.
foreach(arch arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    set(checks 4)
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
        set(checks 5) # (and the CMOS clock's: rtc)
    endif()
    set(vm_kill ${KEEL_IMAGES_DIR}/${arch}/vm-kill.cpio)
    keel_add_vm_modules(vm-kill-${arch} ${arch} ${vm_kill}
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-kill-${arch}.dts
        ${CMAKE_SOURCE_DIR}/dts/vms/linux-${arch}.dts ${CMAKE_SOURCE_DIR}/dts/vms/victim-${arch}.dts)
    add_test(NAME vm/${arch}-linux-vmm-killed COMMAND ${KEEL_QEMU_RUN} --board ${board}
        --kernel ${KEEL_BUILD_ROOT}/${arch}/hyp/keel.bin --initrd ${vm_kill} --smp 2 --timeout 120
        --log ${CMAKE_BINARY_DIR}/logs/vm/${arch}-linux-vmm-killed.log
        --expect "vmm: vm2: 48 MiB RAM" --expect "root: vm2 stopped by the system"
        --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online" --expect "vm1| KEEL-INIT CHECK blk PASS"
        --expect "vm1| KEEL-INIT CHECK rng PASS" --expect "vm1| KEEL-INIT CHECK hvc PASS"
        --expect "vm1| KEEL-INIT DONE ${checks} passed, 0 failed"
        --expect "vmm: vm1: guest powered off, status 0"
        --expect "root: all programs done" --expect "KEEL: power off" --expect-exit
        --fail "vm2| KEEL-INIT START" --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL"
        --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL" --fail "CHECK rtc FAIL")
    set_tests_properties(vm/${arch}-linux-vmm-killed PROPERTIES TIMEOUT 150 LABELS system)
endforeach()

# The Linux boot benchmark's boot modules (bench/linux-boot.sh).
keel_add_vm_modules(vm-linux-bench-arm64 arm64 ${KEEL_IMAGES_DIR}/arm64/vm-linux-bench.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-bench-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/bench-linux-arm64.dts)

keel_add_vm_modules(vm-linux-bench-riscv64 riscv64 ${KEEL_IMAGES_DIR}/riscv64/vm-linux-bench.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-bench-riscv64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/bench-linux-riscv64.dts)
foreach(arch IN ITEMS arm64 riscv64) # (bench/linux-boot-wall.sh: the console on hvc0)
    keel_add_vm_modules(vm-linux-bench-hvc-${arch} ${arch}
        ${KEEL_IMAGES_DIR}/${arch}/vm-linux-bench-hvc.cpio
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-bench-hvc-${arch}.dts
        ${CMAKE_SOURCE_DIR}/dts/vms/bench-linux-hvc-${arch}.dts)
endforeach()
keel_add_vm_modules(vm-linux-bench-pci-arm64 arm64 ${KEEL_IMAGES_DIR}/arm64/vm-linux-bench-pci.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-bench-pci-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/bench-linux-pci-arm64.dts)
keel_add_vm_modules(vm-linux-bench-pci-riscv64 riscv64 ${KEEL_IMAGES_DIR}/riscv64/vm-linux-bench-pci.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-bench-pci-riscv64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/bench-linux-pci-riscv64.dts)
keel_add_vm_modules(vm-linux-bench-x86_64 x86_64 ${KEEL_IMAGES_DIR}/x86_64/vm-linux-bench.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-bench-x86_64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/bench-linux-x86_64.dts)
# The block throughput benchmark's (bench/blk.sh): the in-RAM disk and the board's disk through
# blkdrv in one VM.
foreach(arch IN ITEMS arm64 riscv64)
    keel_add_vm_modules(vm-blk-bench-${arch} ${arch} ${KEEL_IMAGES_DIR}/${arch}/vm-blk-bench.cpio
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-blk-bench-${arch}.dts
        ${CMAKE_SOURCE_DIR}/dts/vms/bench-blk-linux-${arch}.dts ${KEEL_BUILD_ROOT}/${arch}/user/blkdrv)
endforeach()
# The network throughput benchmark's (bench/net.sh): two VMs through the switch (which also drives
# the board's NIC), and two VMs over the direct cable.
foreach(arch IN ITEMS arm64 riscv64)
    keel_add_vm_modules(vm-switch-bench-${arch} ${arch} ${KEEL_IMAGES_DIR}/${arch}/vm-switch-bench.cpio
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-switch-bench-${arch}.dts
        ${CMAKE_SOURCE_DIR}/dts/vms/bench-sw1-${arch}.dts ${CMAKE_SOURCE_DIR}/dts/vms/bench-sw2-${arch}.dts
        ${KEEL_BUILD_ROOT}/${arch}/user/netsw)
    keel_add_vm_modules(vm-net-bench-${arch} ${arch} ${KEEL_IMAGES_DIR}/${arch}/vm-net-bench.cpio
        ${CMAKE_SOURCE_DIR}/dts/systems/vm-net-bench-${arch}.dts
        ${CMAKE_SOURCE_DIR}/dts/vms/bench-net1-${arch}.dts ${CMAKE_SOURCE_DIR}/dts/vms/bench-net2-${arch}.dts)
endforeach()
# The interference benchmark's (bench/interference.sh): a real-time VM beside a Linux VM's load.
include(${CMAKE_SOURCE_DIR}/cmake/interference.cmake)

# The consolidation example (make run SYSTEM=consolidation, docs/consolidation.md): the real-time
# guest's demo on a CPU of its own beside the demo's Linux VM under a budget.
# Its test runs it as `make run SYSTEM=consolidation CHECK=1` does.
foreach(arch IN ITEMS arm64 riscv64)
    keel_add_vm_modules(consolidation-${arch} ${arch} ${KEEL_IMAGES_DIR}/${arch}/consolidation.cpio
        ${CMAKE_SOURCE_DIR}/dts/systems/consolidation-${arch}.dts
        ${CMAKE_SOURCE_DIR}/dts/vms/demo-linux-${arch}.dts
        ${KEEL_BUILD_ROOT}/${arch}/boot/rt-demo.bin ${KEEL_BUILD_ROOT}/${arch}/boot/rt-demo.dtb)
    add_test(NAME demo/${arch}-consolidation COMMAND ${CMAKE_COMMAND} -E env CHECK=1
        SYSTEM=consolidation ${CMAKE_SOURCE_DIR}/ci/demo ${arch} ${KEEL_BUILD_ROOT}/${arch}
        ${KEEL_IMAGES_DIR}/${arch})
    set_tests_properties(demo/${arch}-consolidation PROPERTIES TIMEOUT 150 LABELS system)
endforeach()

# A user's own system from paths, as `make run SYSTEM=examples/linux-vm/system.dts CHECK=1` boots
# it (ci/demo, tools/keel-image; docs/getting-started.md): the build's Linux kernel and initramfs
# found on the search path, a disk beside the VM tree, whose SHA-256 the guest's init checks; the
# VMM must exit with status 0 and the system power off. The two-VM example's boot modules are
# built (not booted: vm/arm64-linux-two-vms-ping boots the same VMs).
add_test(NAME demo/arm64-example-linux-vm COMMAND ${CMAKE_COMMAND} -E env CHECK=1
    SYSTEM=${CMAKE_SOURCE_DIR}/examples/linux-vm/system.dts
    DEMO_LOG=${CMAKE_BINARY_DIR}/logs/demo/arm64-example-linux-vm.log
    ${CMAKE_SOURCE_DIR}/ci/demo arm64 ${KEEL_BUILD_ROOT}/arm64 ${KEEL_IMAGES_DIR}/arm64)
set_tests_properties(demo/arm64-example-linux-vm PROPERTIES TIMEOUT 150 LABELS system)
# ... and the same system from the boot disk `make image` makes for U-Boot (its FIT: Keel, the
# modules and the board's tree): U-Boot lists the initrd it hands on in /memreserve/, which the
# kernel must not keep from the root task (it did: the root task faulted on its first read of the
# modules).
set(fit_out ${KEEL_BUILD_ROOT}/systems/arm64/linux-vm-fit)
add_test(NAME uboot/arm64-fit-system-image COMMAND ${CMAKE_SOURCE_DIR}/ci/system-image arm64
    ${KEEL_BUILD_ROOT} ${CMAKE_SOURCE_DIR}/examples/linux-vm/system.dts ${fit_out})
set_tests_properties(uboot/arm64-fit-system-image PROPERTIES TIMEOUT 120 LABELS system
    FIXTURES_SETUP example-linux-vm-fit)
add_test(NAME uboot/arm64-fit-system COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --bios ${KEEL_UBOOT_arm64} --smp 2 --timeout 90
    --log ${CMAKE_BINARY_DIR}/logs/uboot/arm64-fit-system.log
    --expect "Verifying Hash Integrity ... sha256+ OK" --expect "root: started vm1"
    --expect "vm1| KEEL-INIT DONE 3 passed, 0 failed" --expect "root: all programs done"
    --expect "KEEL: power off" --expect-exit --fail "page fault outside its memory"
    -- -drive if=none,id=boot,file=${fit_out}/uboot/bootdisk.img,format=raw
       -device virtio-blk-device,drive=boot)
set_tests_properties(uboot/arm64-fit-system PROPERTIES TIMEOUT 120 LABELS system
    FIXTURES_REQUIRED example-linux-vm-fit)
add_test(NAME demo/arm64-example-two-vms-image COMMAND ${CMAKE_SOURCE_DIR}/tools/keel-image --arch arm64
    --build-root ${KEEL_BUILD_ROOT} ${CMAKE_SOURCE_DIR}/examples/two-vms/system.dts)
set_tests_properties(demo/arm64-example-two-vms-image PROPERTIES TIMEOUT 60 LABELS system)

# The demo (make run): one Linux VM with its shell on the console; arm64 and riscv64 with a disk
# on the board that outlives the run (ci/demo), served by blkdrv.
keel_add_vm_modules(demo-arm64 arm64 ${KEEL_IMAGES_DIR}/arm64/demo.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/demo-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/demo-disk-linux-arm64.dts ${KEEL_BUILD_ROOT}/arm64/user/blkdrv)
keel_add_vm_modules(demo-riscv64 riscv64 ${KEEL_IMAGES_DIR}/riscv64/demo.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/demo-riscv64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/demo-disk-linux-riscv64.dts ${KEEL_BUILD_ROOT}/riscv64/user/blkdrv)
keel_add_vm_modules(demo-x86_64 x86_64 ${KEEL_IMAGES_DIR}/x86_64/demo.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/demo-x86_64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/demo-linux-x86_64.dts)
# The demo's disk persists (make run CHECK=1 twice on a fresh disk file, as two `make run`s): the
# guest counts its boots on the board's disk, /data/boots (ci/demo, keel.data in the init).
add_test(NAME demo/arm64-disk-persists COMMAND ${CMAKE_SOURCE_DIR}/ci/demo-disk-persists arm64
    ${KEEL_BUILD_ROOT}/arm64 ${KEEL_IMAGES_DIR}/arm64 ${CMAKE_BINARY_DIR}/demo-disk-test-arm64.img
    ${CMAKE_BINARY_DIR}/logs/demo/arm64-disk-persists)
set_tests_properties(demo/arm64-disk-persists PROPERTIES TIMEOUT 300 LABELS system)
add_test(NAME vm/arm64-linux-guest COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${vm_linux} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-linux-guest.log
    --expect "root: started vm1" --expect "vm1| Booting Linux on physical CPU"
    --expect "vm1| Linux version 6.1" --expect "vm1| Unpacking initramfs"
    --require "vm1| psci: PSCIv1.1 detected in firmware." --require "vm1| psci: SMC Calling Convention v1.1"
    --require "vm1| psci: Trusted OS migration not required"
    --expect "vm1| Run /init as init process" --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1:hvc| KEEL-INIT HVC hello from the aarch64 guest" --expect "vm1| KEEL-INIT CHECK hvc PASS"
    --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --expect "vm1| reboot: Power down"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/arm64-linux-guest PROPERTIES TIMEOUT 150 LABELS system)
# The same guest with QEMU on one host CPU: its two emulated CPUs (host threads) take turns, so
# a CPU that spun for the big lock while the host ran the other kept the holder off for a whole
# host time slice (the guest's boot took 60 s instead of 1 s: bkl_wait sleeps now).
add_test(NAME vm/arm64-linux-guest-one-host-cpu COMMAND taskset -c 0 ${KEEL_QEMU_RUN}
    --board qemu-virt-arm64 --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${vm_linux}
    --smp 2 --timeout 30 --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-linux-guest-one-host-cpu.log
    --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online" --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed"
    --expect "KEEL: power off" --expect-exit --fail "CHECK cpus FAIL")
set_tests_properties(vm/arm64-linux-guest-one-host-cpu PROPERTIES TIMEOUT 60 LABELS system)

# The same guest on QEMU's own virt device tree (dts/vms/qemu-virt-arm64.dts: a dump with keel,*
# properties added): what Keel does not model and the transports without a backend are left out
# of the guest's tree, one line each; a virtio-net without keel,link is a NIC with no carrier.
set(vm_qemu_virt ${KEEL_IMAGES_DIR}/arm64/vm-qemu-virt.cpio)
keel_add_vm_modules(vm-qemu-virt-arm64 arm64 ${vm_qemu_virt}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-qemu-virt-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/qemu-virt-arm64.dts)
add_test(NAME vm/arm64-qemu-virt-tree COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${vm_qemu_virt} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-qemu-virt-tree.log --expect "root: started vm1"
    --expect "vmm: vm1: /platform-bus@c000000: QEMU's platform bus (not modelled), left out of the guest's tree"
    --expect "vmm: vm1: /virtio_mmio@a000600: no backend (keel,device), left out of the guest's tree"
    --expect "vmm: vm1: /pmu: a PMU (not modelled), left out of the guest's tree"
    --expect "vmm: vm1: /intc@8000000/its@8080000: a GIC ITS (not modelled), left out of the guest's tree"
    --expect "vmm: vm1: /pcie@10000000: msi-map names a node left out, left out of the guest's tree"
    --expect "vmm: vm1: virtio_mmio@a003e00: virtio-net without keel,link: a NIC with no carrier"
    --expect "vm1| Linux version 6.1"
    --expect "vm1| Run /init as init process" --expect "vm1| KEEL-INIT CHECK cpus PASS 1 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT CHECK virtio PASS 4 devices"
    --expect "vm1| KEEL-INIT CHECK carrier PASS eth0 up, carrier 0"
    --expect "vm1| KEEL-INIT DONE 6 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "CHECK carrier FAIL" --fail "CHECK virtio FAIL"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/arm64-qemu-virt-tree PROPERTIES TIMEOUT 150 LABELS system)
# Debian's stock kernels as guests (images/debian-kernel.sh): the kernel of linux-image-arm64
# (linux-image-amd64), fetched with apt and cached by its package version; its virtio drivers are
# modules, which the initramfs loads before the init's checks. Debian's printk has timestamps:
# the tests match only the init's lines and the VMM's. A panic fails at once, not at the timeout.
set(KEEL_DEBIAN_IMAGES_DIR ${KEEL_IMAGES_DIR}/debian)
# keel_add_debian_vm(arch): the images and the boot modules of dts/vms/linux-debian-<arch>.dts.
function(keel_add_debian_vm arch)
    add_custom_target(images-debian-${arch} ALL
        COMMAND ${CMAKE_SOURCE_DIR}/images/debian-kernel.sh ${arch} ${KEEL_DEBIAN_IMAGES_DIR}/${arch}
        COMMENT "images: Debian's ${arch} kernel and its initramfs (cached)" USES_TERMINAL)
    add_custom_target(vm-linux-debian-${arch} ALL
        COMMAND ${CMAKE_SOURCE_DIR}/images/vm-initrd ${KEEL_DEBIAN_IMAGES_DIR}/${arch}/vm-linux-debian.cpio
            ${KEEL_BUILD_ROOT} ${KEEL_DEBIAN_IMAGES_DIR}/${arch}
            ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-debian-${arch}.dts
            ${CMAKE_SOURCE_DIR}/dts/vms/linux-debian-${arch}.dts
        COMMENT "images: vm-linux-debian-${arch} boot modules")
    add_dependencies(vm-linux-debian-${arch} images-debian-${arch} keel-${arch})
endfunction()
set(debian_checks
    --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT CHECK virtio PASS 4 devices"
    --expect "vm1| KEEL-INIT CHECK carrier PASS eth0 up, carrier 0"
    --expect "vm1| KEEL-INIT DONE 6 passed, 0 failed"
    --fail "KEEL-INIT MODULE " --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL"
    --fail "CHECK hvc FAIL" --fail "CHECK virtio FAIL" --fail "CHECK carrier FAIL" --fail "Kernel panic"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
# arm64: 7 modules (virtio_mmio, virtio_blk, failover, net_failover, virtio_net, virtio_console,
# virtio-rng). 15 s at load 10 with both vCPUs on CPU 0; 77 s with one on each CPU (docs/images.md).
keel_add_debian_vm(arm64)
add_test(NAME vm/arm64-debian-kernel COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${KEEL_DEBIAN_IMAGES_DIR}/arm64/vm-linux-debian.cpio
    --smp 2 --timeout 240 --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-debian-kernel.log
    --expect "root: started vm1" --expect "vm1| KEEL-INIT START"
    --expect "vm1| KEEL-INIT MODULES 7 loaded, 0 failed"
    --require "vm1:hvc| KEEL-INIT HVC hello from the aarch64 guest" ${debian_checks})
set_tests_properties(vm/arm64-debian-kernel PROPERTIES TIMEOUT 300 LABELS system)
# x86_64 (AMD SVM): virtio-pci, 11 modules; 40 s at load 11 with both vCPUs on CPU 0. The guest
# reads the machine-check MSRs its CPUID offers (it panicked on a #GP there before the VMM had
# them).
# -DKEEL_TEST_DEBIAN_AMD64=OFF leaves it out (and its 70 MB package).
option(KEEL_TEST_DEBIAN_AMD64 "Debian's amd64 kernel as an x86_64 guest (fetches 70 MB)" ON)
if(KEEL_TEST_DEBIAN_AMD64)
    keel_add_debian_vm(x86_64)
    add_test(NAME vm/x86_64-svm-debian-kernel COMMAND ${KEEL_QEMU_RUN} --board q35-x86_64
        --kernel ${KEEL_BUILD_ROOT}/x86_64/hyp/keel.bin --initrd ${KEEL_DEBIAN_IMAGES_DIR}/x86_64/vm-linux-debian.cpio
        --smp 2 --timeout 240 --log ${CMAKE_BINARY_DIR}/logs/vm/x86_64-svm-debian-kernel.log
        --expect "x86: SVM with nested paging" --expect "root: started vm1"
        --expect "vm1| KEEL-INIT START" --expect "vm1| KEEL-INIT MODULES 11 loaded, 0 failed"
        --require "vm1:hvc| KEEL-INIT HVC hello from the x86_64 guest" ${debian_checks})
    set_tests_properties(vm/x86_64-svm-debian-kernel PROPERTIES TIMEOUT 300 LABELS system)
endif()

# The same tree with a backend on each of its 32 virtio-mmio transports: the most a VM tree may
# describe; the guest finds all 32.
set(vm_qemu_virt_32 ${KEEL_IMAGES_DIR}/arm64/vm-qemu-virt-32.cpio)
keel_add_vm_modules(vm-qemu-virt-32-arm64 arm64 ${vm_qemu_virt_32}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-qemu-virt-32-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/qemu-virt-32-arm64.dts)
add_test(NAME vm/arm64-qemu-virt-32-transports COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${vm_qemu_virt_32} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-qemu-virt-32-transports.log --expect "root: started vm1"
    --expect "vmm: vm1: /pmu: a PMU (not modelled), left out of the guest's tree"
    --expect "vm1| Run /init as init process"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT CHECK virtio PASS 32 devices"
    --expect "vm1| KEEL-INIT CHECK carrier PASS eth0 up, carrier 0"
    --expect "vm1| KEEL-INIT DONE 6 passed, 0 failed"
    --fail "no backend (keel,device)" --fail "too many" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL"
    --fail "CHECK hvc FAIL" --fail "CHECK carrier FAIL" --fail "CHECK virtio FAIL"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/arm64-qemu-virt-32-transports PROPERTIES TIMEOUT 150 LABELS system)

# The same guest with its devices on PCI (dts/vms/linux-pci-arm64.dts): the VMM's generic ECAM
# host bridge, virtio-pci block, rng and console, MSI-X to the GICv3's message-based SPIs.
set(vm_linux_pci ${KEEL_IMAGES_DIR}/arm64/vm-linux-pci.cpio)
keel_add_vm_modules(vm-linux-pci-arm64 arm64 ${vm_linux_pci}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-pci-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-pci-arm64.dts)
add_test(NAME vm/arm64-linux-pci COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${vm_linux_pci} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-linux-pci.log
    --expect "root: started vm1" --expect "vm1| Linux version 6.1"
    --expect "vm1| pci-host-generic 30000000.pcie: ECAM at [mem 0x30000000-0x300fffff] for [bus 00]"
    --expect "vm1| pci 0000:00:01.0: [1af4:1042] type 00 class 0x010000"
    --expect "vm1| pci 0000:00:02.0: [1af4:1044] type 00 class 0xff0000"
    --expect "vm1| pci 0000:00:03.0: [1af4:1043] type 00 class 0x078000"
    --expect "vm1| Run /init as init process" --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "vmm: vm1: PCI:" --fail "not the GICv3's GICD_SETSPI_NSR"
    --expect "vm1| reboot: Power down"
    --expect "vmm: vm1: PCI 00:01.0 [1af4:1042]: " --fail "[1af4:1042]: 0 MSI-X messages"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/arm64-linux-pci PROPERTIES TIMEOUT 150 LABELS system)

# UEFI firmware in a VM (docs/uefi.md): Debian's EDK2 for QEMU's arm64 virt board runs from the
# VM's flash, finds a FAT disk on virtio-pci (images/uefi-disk) and its shell runs startup.nsh:
# a variable is written to the flash store, the VM is reset (restarted in place by its VMM), the
# variable is found again, and the images/ kernel boots through its EFI stub to the init's checks.
# (Linux powers off through the firmware's runtime services, whose PSCI call leaves x1 undefined:
# the status is not checked.)
set(KEEL_EDK2_arm64 /usr/share/qemu-efi-aarch64/QEMU_EFI.fd)
set(uefi_disk_arm64 ${KEEL_IMAGES_DIR}/arm64/uefi/uefi-disk.img)
add_custom_target(uefi-disk-arm64 ALL
    COMMAND ${CMAKE_SOURCE_DIR}/images/uefi-disk ${uefi_disk_arm64} ${KEEL_IMAGES_DIR}/arm64
        ${CMAKE_SOURCE_DIR}/images/uefi/linux-arm64.nsh
    COMMENT "images: arm64 UEFI disk (FAT: kernel, initramfs, startup.nsh)")
add_dependencies(uefi-disk-arm64 images-arm64)
set(vm_uefi_arm64 ${KEEL_IMAGES_DIR}/arm64/vm-uefi-linux.cpio)
keel_add_vm_modules(vm-uefi-linux-arm64 arm64 ${vm_uefi_arm64}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-uefi-linux-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/uefi-linux-arm64.dts ${KEEL_EDK2_arm64} ${uefi_disk_arm64})
add_dependencies(vm-uefi-linux-arm64 uefi-disk-arm64)
add_test(NAME vm/arm64-uefi-linux COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${vm_uefi_arm64} --smp 2 --timeout 240
    --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-uefi-linux.log
    --expect "vmm: vm1: 128 MiB RAM at 0x40000000, 2 vCPUs, QEMU_EFI.fd (2097152 bytes) at 0x0"
    --expect "vm1| KEEL-UEFI-SHELL startup.nsh runs" --expect "vm1| KEEL-UEFI-VAR written"
    --expect "vmm: vm1: the guest reset the system: restarting it (reset 1)"
    --expect "vm1| KEEL-UEFI-SHELL startup.nsh runs" --expect "vm1| KEEL-UEFI-VAR found after the reset"
    --fail "(reset 2)" --fail "vmm: vm1: guest write" --fail "vmm: vm1: guest read"
    --expect "vm1| EFI stub: Loaded initrd from LINUX_EFI_INITRD_MEDIA_GUID device path"
    --expect "vm1| Linux version 6.1" --expect "vm1| Run /init as init process"
    --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vdb 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "KEEL-UEFI-LINUX-RETURNED" --fail "Synchronous Exception"
    --expect "vm1| reboot: Power down" --expect "vmm: vm1: guest powered off, status"
    --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/arm64-uefi-linux PROPERTIES TIMEOUT 300 LABELS system)

# The same firmware boots the kernel, initramfs and command line the VMM offers through fw_cfg (as
# QEMU's -kernel with firmware), without a disk and before any boot option.
set(vm_uefi_kernel_arm64 ${KEEL_IMAGES_DIR}/arm64/vm-uefi-kernel.cpio)
keel_add_vm_modules(vm-uefi-kernel-arm64 arm64 ${vm_uefi_kernel_arm64}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-uefi-kernel-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/uefi-kernel-arm64.dts ${KEEL_EDK2_arm64})
add_test(NAME vm/arm64-uefi-fw-cfg-kernel COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-arm64
    --kernel ${KEEL_BUILD_ROOT}/arm64/hyp/keel.bin --initrd ${vm_uefi_kernel_arm64} --smp 2
    --timeout 180 --log ${CMAKE_BINARY_DIR}/logs/vm/arm64-uefi-fw-cfg-kernel.log
    --expect "vmm: vm1: 128 MiB RAM at 0x40000000, 2 vCPUs, QEMU_EFI.fd (2097152 bytes) at 0x0"
    --expect "vm1| EFI stub: Loaded initrd from LINUX_EFI_INITRD_MEDIA_GUID device path"
    --expect "vm1| Linux version 6.1" --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "Interactive Shell" --fail "Synchronous Exception"
    --expect "vm1| reboot: Power down" --expect "vmm: vm1: guest powered off, status"
    --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/arm64-uefi-fw-cfg-kernel PROPERTIES TIMEOUT 240 LABELS system)
# Its directly booted twin, for make bench's firmware-vs-direct boot ratio (bench/linux-boot.sh).
keel_add_vm_modules(vm-uefi-direct-arm64 arm64 ${KEEL_IMAGES_DIR}/arm64/vm-uefi-direct.cpio
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-uefi-direct-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/uefi-direct-arm64.dts)

# x86_64 (AMD SVM): Debian's OVMF (no SMM) starts at the reset vector in its read-only flash bank,
# takes the Q35 identity, fw_cfg and CMOS for its platform, enumerates PCI, finds a FAT disk on
# virtio-pci and its shell runs startup.nsh: a marker, a UEFI variable written to the flash store,
# a reset (0xcf9: the VMM restarts the VM in place), the variable found again, then the images/
# bzImage through its EFI stub, which finds the VMM's ACPI tables as the firmware installed them
# (fw_cfg's table loader), to the init's five checks on virtio-pci.
set(KEEL_OVMF_CODE /usr/share/OVMF/OVMF_CODE_4M.fd)
set(KEEL_OVMF_VARS /usr/share/OVMF/OVMF_VARS_4M.fd)
set(uefi_disk_x86 ${KEEL_IMAGES_DIR}/x86_64/uefi/uefi-disk.img)
add_custom_target(uefi-disk-x86_64 ALL
    COMMAND ${CMAKE_SOURCE_DIR}/images/uefi-disk ${uefi_disk_x86} ${KEEL_IMAGES_DIR}/x86_64
        ${CMAKE_SOURCE_DIR}/images/uefi/linux-x86_64.nsh
    COMMENT "images: x86_64 UEFI disk (FAT: kernel, initramfs, startup.nsh)")
add_dependencies(uefi-disk-x86_64 images-x86_64)
set(vm_uefi_x86 ${KEEL_IMAGES_DIR}/x86_64/vm-uefi-linux.cpio)
keel_add_vm_modules(vm-uefi-linux-x86_64 x86_64 ${vm_uefi_x86}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-uefi-linux-x86_64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/uefi-linux-x86_64.dts ${KEEL_OVMF_CODE} ${KEEL_OVMF_VARS}
    ${uefi_disk_x86})
add_dependencies(vm-uefi-linux-x86_64 uefi-disk-x86_64)
add_test(NAME vm/x86_64-svm-uefi-linux COMMAND ${KEEL_QEMU_RUN} --board q35-x86_64
    --kernel ${KEEL_BUILD_ROOT}/x86_64/hyp/keel.bin --initrd ${vm_uefi_x86} --smp 2 --timeout 240
    --log ${CMAKE_BINARY_DIR}/logs/vm/x86_64-svm-uefi-linux.log
    --expect "vmm: vm1: 256 MiB RAM at 0x0, 2 vCPUs, OVMF_CODE_4M.fd (3653632 bytes) at 0xfffffff0"
    --expect "UEFI Interactive Shell v2.2" --expect "FS0:" --expect "PciRoot(0x0)/Pci(0x1,0x0)"
    --expect "vm1| KEEL-UEFI-SHELL startup.nsh runs on x86_64" --expect "vm1| KEEL-UEFI-VAR written"
    --expect "vmm: vm1: the guest reset the system: restarting it (reset 1)"
    --expect "vm1| KEEL-UEFI-SHELL startup.nsh runs on x86_64" --expect "vm1| KEEL-UEFI-VAR found after the reset"
    --fail "(reset 2)"
    --expect "vm1| Linux version 6.1" --expect "vm1| efi: EFI v2.70 by EDK II"
    --expect "vm1| ACPI: XSDT" --expect "vm1| ACPI: MCFG"
    --require "vm1| kvm-clock: Using msrs 4b564d01 and 4b564d00" --require "vm1| tsc: Detected"
    --require "vm1| clocksource: Switched to clocksource kvm-clock"
    --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vdb 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT CHECK rtc PASS"
    --expect "vm1| KEEL-INIT DONE 5 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "CHECK rtc FAIL" --fail "KEEL-UEFI-LINUX-RETURNED"
    --expect "vm1| reboot: Power down" --expect "vmm: vm1: PCI 00:02.0 [1af4:1042]: "
    --fail "PCI 00:02.0 [1af4:1042]: 0 MSI-X messages"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/x86_64-svm-uefi-linux PROPERTIES TIMEOUT 300 LABELS system)

# The first x86_64 Linux VM (AMD SVM, q35): the images/ bzImage and initramfs through the x86
# boot protocol (dts/vms/linux-x86_64.dts: two vCPUs, LAPICs, I/O APIC, 16550, 8254, CMOS clock, the ACPI
# tables and PM blocks the VMM makes, virtio-mmio block, rng and console named on the kernel's
# command line), to the init's checks and the ACPI S5 power-off.
set(vm_linux_x86 ${KEEL_IMAGES_DIR}/x86_64/vm-linux.cpio)
keel_add_vm_modules(vm-linux-x86_64 x86_64 ${vm_linux_x86}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-x86_64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-x86_64.dts)
add_test(NAME vm/x86_64-svm-linux-guest COMMAND ${KEEL_QEMU_RUN} --board q35-x86_64
    --kernel ${KEEL_BUILD_ROOT}/x86_64/hyp/keel.bin --initrd ${vm_linux_x86} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/x86_64-svm-linux-guest.log
    --expect "x86: SVM with nested paging" --expect "root: started vm1"
    --expect "vmm: vm1: bzImage protocol 2.15" --expect "vm1| Linux version 6.1"
    --expect "vm1| kvm-clock: Using msrs 4b564d01 and 4b564d00"
    --require "vm1| clocksource: Switched to clocksource kvm-clock"
    --expect "vm1| ACPI: PM-Timer IO Port: 0x608" --expect "vm1| smpboot: Allowing 2 CPUs"
    --expect "vm1| virtio-mmio: Registering device virtio-mmio.0 at 0xfeb00000-0xfeb001ff, IRQ 5."
    --expect "vm1| Run /init as init process"
    --expect "vm1| KEEL-INIT CLOCK realtime=17672" --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT CHECK rtc PASS 2026-01-01"
    --expect "vm1| KEEL-INIT DONE 5 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "CHECK rtc FAIL"
    --fail "vm1| ACPI Error" --fail "vm1| ACPI BIOS Error"
    --expect "vm1| ACPI: PM: Preparing to enter system sleep state S5" --expect "vm1| reboot: Power down"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/x86_64-svm-linux-guest PROPERTIES TIMEOUT 150 LABELS system)
# The same guest with its devices on PCI (dts/vms/linux-pci-x86_64.dts): the VMM's ECAM host
# bridge described in ACPI (MCFG, the root bridge and its windows in the DSDT), virtio-pci block,
# rng and console with MSI-X to the local APICs.
set(vm_linux_pci_x86 ${KEEL_IMAGES_DIR}/x86_64/vm-linux-pci.cpio)
keel_add_vm_modules(vm-linux-pci-x86_64 x86_64 ${vm_linux_pci_x86}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-pci-x86_64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-pci-x86_64.dts)
add_test(NAME vm/x86_64-svm-linux-pci COMMAND ${KEEL_QEMU_RUN} --board q35-x86_64
    --kernel ${KEEL_BUILD_ROOT}/x86_64/hyp/keel.bin --initrd ${vm_linux_pci_x86} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/x86_64-svm-linux-pci.log
    --expect "root: started vm1" --expect "vm1| Linux version 6.1"
    --expect "vm1| PCI: MMCONFIG for domain 0000 [bus 00-00] at [mem 0xe0000000-0xe00fffff]"
    --expect "vm1| PCI: MMCONFIG at [mem 0xe0000000-0xe00fffff] reserved in ACPI motherboard resources"
    --expect "vm1| ACPI: PCI Root Bridge [PCI0] (domain 0000 [bus 00])"
    --expect "vm1| pci 0000:00:01.0: [1af4:1042] type 00 class 0x010000"
    --expect "vm1| pci 0000:00:02.0: [1af4:1044] type 00 class 0xff0000"
    --expect "vm1| pci 0000:00:03.0: [1af4:1043] type 00 class 0x078000"
    --expect "vm1| Run /init as init process"
    --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT CHECK rtc PASS 2026-01-01"
    --expect "vm1| KEEL-INIT DONE 5 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "CHECK rtc FAIL" --fail "vm1| ACPI Error" --fail "vm1| ACPI BIOS Error" --fail "vmm: vm1: PCI:"
    --fail "no GSI" --fail "MMCONFIG at [mem 0xe0000000-0xe00fffff] not reserved"
    --expect "vm1| reboot: Power down"
    --expect "vmm: vm1: PCI 00:01.0 [1af4:1042]: " --fail "[1af4:1042]: 0 MSI-X messages"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/x86_64-svm-linux-pci PROPERTIES TIMEOUT 150 LABELS system)
# ... and with MSI off in the guest (pci=nomsi): INTx, level, through the ACPI _PRT to I/O APIC
# lines 17-19 (dts/vms/linux-pci-intx-x86_64.dts).
set(vm_linux_pci_intx_x86 ${KEEL_IMAGES_DIR}/x86_64/vm-linux-pci-intx.cpio)
keel_add_vm_modules(vm-linux-pci-intx-x86_64 x86_64 ${vm_linux_pci_intx_x86}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-pci-intx-x86_64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-pci-intx-x86_64.dts)
add_test(NAME vm/x86_64-svm-linux-pci-intx COMMAND ${KEEL_QEMU_RUN} --board q35-x86_64
    --kernel ${KEEL_BUILD_ROOT}/x86_64/hyp/keel.bin --initrd ${vm_linux_pci_intx_x86} --smp 2
    --timeout 120 --log ${CMAKE_BINARY_DIR}/logs/vm/x86_64-svm-linux-pci-intx.log
    --expect "root: started vm1" --expect "vm1| Linux version 6.1"
    --expect "vm1| ACPI: PCI Root Bridge [PCI0] (domain 0000 [bus 00])"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT DONE 5 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "CHECK rtc FAIL" --fail "vm1| ACPI Error" --fail "vm1| ACPI BIOS Error" --fail "vmm: vm1: PCI:"
    --fail "no GSI" --fail "can't derive routing"
    --expect "vm1| reboot: Power down"
    --expect "vmm: vm1: PCI 00:01.0 [1af4:1042]: 0 MSI-X messages, "
    --fail "[1af4:1042]: 0 MSI-X messages, 0 INTx assertions"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/x86_64-svm-linux-pci-intx PROPERTIES TIMEOUT 150 LABELS system)
# Two x86_64 Linux VMs (one vCPU each, on the two CPUs) that ping each other over virtio-net and a
# shared-memory link.
set(vm_net_x86 ${KEEL_IMAGES_DIR}/x86_64/vm-net.cpio)
keel_add_vm_modules(vm-net-x86_64 x86_64 ${vm_net_x86}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-net-x86_64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/net1-x86_64.dts ${CMAKE_SOURCE_DIR}/dts/vms/net2-x86_64.dts)
add_test(NAME vm/x86_64-linux-two-vms-ping COMMAND ${KEEL_QEMU_RUN} --board q35-x86_64
    --kernel ${KEEL_BUILD_ROOT}/x86_64/hyp/keel.bin --initrd ${vm_net_x86} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/x86_64-linux-two-vms-ping.log
    --require "vm1| KEEL-INIT CHECK net PASS eth0 10.0.0.1/24" --require "vm2| KEEL-INIT CHECK net PASS eth0 10.0.0.2/24"
    --require "vm1| KEEL-INIT DONE 2 passed, 0 failed" --require "vm2| KEEL-INIT DONE 2 passed, 0 failed"
    --require "vmm: vm1: link net0: the other end ended: link down" # (VM 2 ends 2 s before)
    --expect "root: all programs done" --expect "KEEL: power off" --expect-exit
    --fail "CHECK net FAIL" --fail "CHECK cpus FAIL")
set_tests_properties(vm/x86_64-linux-two-vms-ping PROPERTIES TIMEOUT 150 LABELS system)

# ... and on Intel VT-x (Bochs, 2 CPUs; about 50 s of the host's time), with a quiet kernel
# (dts/vms/linux-quiet-x86_64.dts).
set(vm_linux_x86_quiet ${KEEL_IMAGES_DIR}/x86_64/vm-linux-quiet.cpio)
keel_add_vm_modules(vm-linux-quiet-x86_64 x86_64 ${vm_linux_x86_quiet}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-quiet-x86_64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-quiet-x86_64.dts)
add_test(NAME vm/x86_64-vmx-linux-guest COMMAND ${KEEL_QEMU_RUN} --board bochs-x86_64
    --kernel ${KEEL_BUILD_ROOT}/x86_64/hyp/keel.bin --initrd ${vm_linux_x86_quiet} --smp 2
    --memory 1G --timeout 200 --silence 90 --stall 90 --log ${CMAKE_BINARY_DIR}/logs/vm/x86_64-vmx-linux-guest.log
    --expect "x86: VT-x (VMCS revision" --expect "root: started vm1"
    --expect "vmm: vm1: bzImage protocol 2.15" --expect "vm1| KEEL-INIT CLOCK realtime=17672"
    --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT CHECK rtc PASS 2026-01-01"
    --expect "vm1| KEEL-INIT DONE 5 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "CHECK rtc FAIL"
    --fail "vm1| ACPI Error" --fail "vm1| ACPI BIOS Error"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/x86_64-vmx-linux-guest PROPERTIES TIMEOUT 240 LABELS system COST 2000)

# The first riscv64 Linux VM: the images/ kernel and initramfs as a VS-mode guest of Keel's VMM
# (dts/vms/linux-riscv64.dts: two harts, PLIC, 16550, virtio-mmio, the VMM's SBI), and its test.
# The virtio console's line may come before the 16550's lines printed just ahead of it (the 8250
# driver sends from its interrupt): it is required, in any order.
set(vm_linux_rv ${KEEL_IMAGES_DIR}/riscv64/vm-linux.cpio)
keel_add_vm_modules(vm-linux-riscv64 riscv64 ${vm_linux_rv}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-riscv64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-riscv64.dts)
add_test(NAME vm/riscv64-linux-guest COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-riscv64
    --kernel ${KEEL_BUILD_ROOT}/riscv64/hyp/keel.bin --initrd ${vm_linux_rv} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/riscv64-linux-guest.log
    --expect "root: started vm1" --expect "vm1| Linux version 6.1" --expect "vm1| SBI specification v2.0 detected"
    --expect "vm1| smp: Brought up 1 node, 2 CPUs" --expect "vm1| Unpacking initramfs"
    --expect "vm1| Run /init as init process" --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --require "vm1:hvc| KEEL-INIT HVC hello from the riscv64 guest" --expect "vm1| KEEL-INIT CHECK hvc PASS"
    --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --expect "vm1| reboot: Power down"
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/riscv64-linux-guest PROPERTIES TIMEOUT 150 LABELS system)
# The same guest with its disk on the board (docs/devices.md): QEMU's virtio-blk with the test
# disk on transport 7, driven by user/blkdrv, which serves all of it read-only over a link to the
# VMM (dts/systems/vm-linux-blk-riscv64.dts); the guest's init reads the whole disk through it and
# checks its hash. blkdrv runs on: the run ends with the VM.
set(vm_linux_blk_rv ${KEEL_IMAGES_DIR}/riscv64/vm-linux-blk.cpio)
keel_add_vm_modules(vm-linux-blk-riscv64 riscv64 ${vm_linux_blk_rv}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-blk-riscv64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-blk-riscv64.dts ${KEEL_BUILD_ROOT}/riscv64/user/blkdrv)
add_test(NAME vm/riscv64-linux-blk-driver COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-riscv64
    --kernel ${KEEL_BUILD_ROOT}/riscv64/hyp/keel.bin --initrd ${vm_linux_blk_rv} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/riscv64-linux-blk-driver.log
    --expect "blkdrv: device disk: 8192 sectors (4096 KiB)"
    --expect "blkdrv: link vm1-disk: sectors 0..8191 of the disk, read-only, 16 slots"
    --expect "vmm: vm1: disk link vm1-disk: 8192 sectors, read-only"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes"
    --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed" --fail "CHECK blk FAIL"
    --expect "vmm: vm1: guest powered off, status 0"
    -- -global virtio-mmio.force-legacy=false
       -drive file=${KEEL_IMAGES_DIR}/riscv64/disk.img,if=none,format=raw,id=d0,readonly=on
       -device virtio-blk-device,drive=d0,bus=virtio-mmio-bus.7)
set_tests_properties(vm/riscv64-linux-blk-driver PROPERTIES TIMEOUT 150 LABELS system)
# Durability (docs/devices.md, ci/blk_durability.py): the same guest on a read-write slice (the
# middle 4 MiB of an 8 MiB qcow2 image on the host) writes a generation of data, flushes it
# (fsync: FLUSH through the VMM, the link and blkdrv to QEMU) and says so; QEMU is then killed
# (SIGKILL) at a random moment up to 2 s later, the host checks the image, and the next boot on
# the same image reads the generation back (twice). qcow2 in writeback mode loses unflushed
# cluster allocations with QEMU: a FLUSH dropped on the way fails the test. On riscv64 blkdrv also
# crashes once a boot (at its 12th request) and is restarted a second later: Linux sees I/O
# errors from its end on, its init tries again, and the generation it then says is written must be
# there all the same.
set(vm_linux_blk_rw_rv ${KEEL_IMAGES_DIR}/riscv64/vm-linux-blk-rw.cpio)
keel_add_vm_modules(vm-linux-blk-rw-riscv64 riscv64 ${vm_linux_blk_rw_rv}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-blk-rw-riscv64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-blk-rw-riscv64.dts ${KEEL_BUILD_ROOT}/riscv64/user/blkdrv)
set(vm_linux_blk_rw_arm64 ${KEEL_IMAGES_DIR}/arm64/vm-linux-blk-rw.cpio)
keel_add_vm_modules(vm-linux-blk-rw-arm64 arm64 ${vm_linux_blk_rw_arm64}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-blk-rw-arm64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-blk-rw-arm64.dts ${KEEL_BUILD_ROOT}/arm64/user/blkdrv)
foreach(spec IN ITEMS riscv64:7:${vm_linux_blk_rw_rv} arm64:31:${vm_linux_blk_rw_arm64})
    string(REPLACE ":" ";" spec ${spec})
    list(GET spec 0 arch)
    list(GET spec 1 bus)
    list(GET spec 2 cpio)
    set(name vm/${arch}-linux-blk-durability)
    set(fault)
    if(arch STREQUAL "riscv64") # (its blkdrv crashes once a boot: vm-linux-blk-rw-riscv64.dts)
        set(fault --require "blkdrv: request 12 taken: exiting without an answer"
            --require "root: blkdrv: restart 1 of at most 1"
            --require "root: blkdrv: restart in 1000 ms (keel,restart-delay-ms)"
            --require "vmm: vm1: disk link vm1-disk: the driver ended: requests in flight fail"
            --require "vm1| KEEL-INIT PERSIST I/O error (")
    endif()
    add_test(NAME ${name} COMMAND ${CMAKE_SOURCE_DIR}/ci/blk_durability.py
        --image ${CMAKE_BINARY_DIR}/blk-durability-${arch}.qcow2 --disk-bytes 8388608
        --slice 2097152 4194304 --persist 524288 --bus virtio-mmio-bus.${bus} --boots 2
        --kill-after 2 --log-prefix ${CMAKE_BINARY_DIR}/logs/${name}
        -- ${KEEL_QEMU_RUN} --board qemu-virt-${arch} --kernel ${KEEL_BUILD_ROOT}/${arch}/hyp/keel.bin
        --initrd ${cpio} --smp 2 --timeout 120
        --expect "blkdrv: device disk: 16384 sectors (8192 KiB), flush"
        --expect "blkdrv: link vm1-disk: sectors 4096..12287 of the disk, 16 slots"
        --expect "vmm: vm1: disk link vm1-disk: 8192 sectors, flush" ${fault})
    set_tests_properties(${name} PROPERTIES TIMEOUT 300 LABELS system)
endforeach()
# The same guest with its devices on PCI (dts/vms/linux-pci-riscv64.dts): the VMM's generic ECAM
# host bridge, virtio-pci block, rng and console, INTx through the PLIC (riscv64 has no MSI here).
set(vm_linux_pci_rv ${KEEL_IMAGES_DIR}/riscv64/vm-linux-pci.cpio)
keel_add_vm_modules(vm-linux-pci-riscv64 riscv64 ${vm_linux_pci_rv}
    ${CMAKE_SOURCE_DIR}/dts/systems/vm-linux-pci-riscv64.dts
    ${CMAKE_SOURCE_DIR}/dts/vms/linux-pci-riscv64.dts)
add_test(NAME vm/riscv64-linux-pci COMMAND ${KEEL_QEMU_RUN} --board qemu-virt-riscv64
    --kernel ${KEEL_BUILD_ROOT}/riscv64/hyp/keel.bin --initrd ${vm_linux_pci_rv} --smp 2 --timeout 120
    --log ${CMAKE_BINARY_DIR}/logs/vm/riscv64-linux-pci.log
    --expect "root: started vm1" --expect "vm1| Linux version 6.1"
    --expect "vm1| pci-host-generic 30000000.pcie: ECAM at [mem 0x30000000-0x300fffff] for [bus 00]"
    --expect "vm1| pci 0000:00:01.0: [1af4:1042] type 00 class 0x010000"
    --expect "vm1| pci 0000:00:02.0: [1af4:1044] type 00 class 0xff0000"
    --expect "vm1| pci 0000:00:03.0: [1af4:1043] type 00 class 0x078000"
    --expect "vm1| Run /init as init process" --expect "vm1| KEEL-INIT CHECK cpus PASS 2 online"
    --expect "vm1| KEEL-INIT CHECK blk PASS /dev/vda 4194304 bytes" --expect "vm1| KEEL-INIT CHECK rng PASS"
    --expect "vm1| KEEL-INIT CHECK hvc PASS" --expect "vm1| KEEL-INIT DONE 4 passed, 0 failed"
    --fail "CHECK cpus FAIL" --fail "CHECK blk FAIL" --fail "CHECK rng FAIL" --fail "CHECK hvc FAIL"
    --fail "vmm: vm1: PCI:"
    --fail "[1af4:1042]: 0 MSI-X messages, 0 INTx assertions"
    --expect "vm1| reboot: Power down"
    --expect "vmm: vm1: PCI 00:01.0 [1af4:1042]: 0 MSI-X messages, "
    --expect "vmm: vm1: guest powered off, status 0" --expect "KEEL: power off" --expect-exit)
set_tests_properties(vm/riscv64-linux-pci PROPERTIES TIMEOUT 150 LABELS system)


# SPDX-License-Identifier: MIT
# The interference benchmark's boot modules (bench/interference.sh), included by images.cmake:
# per architecture and scenario (alone, beside, shared-below, shared-budget, and alone-cpu0 and
# beside-cpu0: alone and beside with the real-time VM on CPU 0) the system tree
# dts/systems/rt-interference-<scenario>-<arch>.dts with the real-time guest's demo image and VM
# tree from the cross build (vmm/guests/rt/: rt-demo.bin, rt-demo.dtb) and the Linux VM that
# runs the load (dts/vms/load-linux-<arch>.dts) as
# build/host/images/<arch>/rt-interference-<scenario>.cpio. ("alone" and "alone-cpu0" carry the
# Linux kernel too, unused: images/vm-initrd always adds it.) Built by the default build; no test
# boots them (make bench does).
foreach(arch IN ITEMS arm64 riscv64)
    foreach(scenario IN ITEMS alone beside shared-below shared-budget alone-cpu0 beside-cpu0)
        keel_add_vm_modules(rt-interference-${scenario}-${arch} ${arch}
            ${KEEL_IMAGES_DIR}/${arch}/rt-interference-${scenario}.cpio
            ${CMAKE_SOURCE_DIR}/dts/systems/rt-interference-${scenario}-${arch}.dts
            ${CMAKE_SOURCE_DIR}/dts/vms/load-linux-${arch}.dts
            ${KEEL_BUILD_ROOT}/${arch}/boot/rt-demo.bin ${KEEL_BUILD_ROOT}/${arch}/boot/rt-demo.dtb)
    endforeach()
endforeach()

# SPDX-License-Identifier: MIT
# The virtio library's sources and include directories, shared by the target build
# (virtio/CMakeLists.txt: keel_virtio) and the host unit tests (cmake/unit_tests.cmake:
# host_keel_virtio). The Linux uapi virtio headers come from linux-source (KEEL_LINUX_BITS);
# virtio/include/shim maps their kernel types to <stdint.h>.
set(KEEL_VIRTIO_DIR ${CMAKE_SOURCE_DIR}/virtio)
set(KEEL_VIRTIO_SOURCES
    ${KEEL_VIRTIO_DIR}/env.c
    ${KEEL_VIRTIO_DIR}/virtq.c
    ${KEEL_VIRTIO_DIR}/virtq_chain.c
    ${KEEL_VIRTIO_DIR}/device.c
    ${KEEL_VIRTIO_DIR}/mmio.c
    ${KEEL_VIRTIO_DIR}/pci.c
    ${KEEL_VIRTIO_DIR}/dev_rng.c
    ${KEEL_VIRTIO_DIR}/dev_blk.c
    ${KEEL_VIRTIO_DIR}/dev_console.c
    ${KEEL_VIRTIO_DIR}/dev_net.c
    ${KEEL_VIRTIO_DIR}/blklink.c
    ${KEEL_VIRTIO_DIR}/netlink.c)
set(KEEL_VIRTIO_INCLUDES ${KEEL_VIRTIO_DIR}/include ${KEEL_VIRTIO_DIR}/include/shim)
# Third-party headers: included as system headers (searched after Keel's, before the compiler's
# own, and exempt from Keel's warnings).
set(KEEL_VIRTIO_SYSTEM_INCLUDES ${KEEL_LINUX_BITS}/include/uapi)

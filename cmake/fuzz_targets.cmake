# SPDX-License-Identifier: MIT
# The fuzz targets (fuzz/, docs/fuzzing.md). Read by two builds: the fuzz build
# (cmake/fuzz.cmake) makes a libFuzzer program of each; the host build (cmake/host.cmake) adds a
# ctest entry per target that runs the program once over its corpus and regression inputs.

# virtio/: each device model through its MMIO transport; the split virtqueue on its own.
foreach(device IN ITEMS blk net console rng)
    string(TOUPPER ${device} upper)
    keel_fuzz_target(virtio_${device} SOURCES fuzz/fuzz_virtio.c
        DEFINES FUZZ_DEVICE=FUZZ_${upper} LIBS fuzz_keel_virtio)
endforeach()
keel_fuzz_target(virtq SOURCES fuzz/fuzz_virtq.c LIBS fuzz_keel_virtio)


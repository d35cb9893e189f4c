# SPDX-License-Identifier: MIT
# A thin front over the CMake presets (CMakePresets.json); CMake does the real work.
#   make run   [ARCH=arm64|riscv64|x86_64] [CHECK=1]
#                                               build and boot the demo
#              [SYSTEM=consolidation]           ... or another system (docs/consolidation.md)
#              [SYSTEM=path/to/system.dts]      ... or your own: a system device tree and the VM
#                                               trees and files it names (docs/getting-started.md)
#   make image SYSTEM=path/to/system.dts [ARCH=] [OUT=dir]
#                                               only its boot image: modules.cpio, keel.bin and
#                                               (arm64, riscv64) a U-Boot FIT (ci/system-image)
#   make test                                   host unit tests and every system test (ctest)
#   make bench                                  benchmarks, one row per figure
#   make soak  [ARCH=] [CALLS=10000000] [SMP=4] [SEED=] [ROUND=] [MTTCG=1]
#                                               the lifetime fuzzer for CALLS system calls in QEMU
#                                               (user/ktest/soak.c, docs/ktest.md); not part of test.
#                                               Last lines: calls/s, total calls, PASS or FAIL: why.
#                                               SEED: the seed (default: chosen at boot, printed);
#                                               ROUND: start at that round (to replay a failure);
#                                               MTTCG=1: a host thread per CPU (slow on a busy host)
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGET=n]  libFuzzer campaigns, one target after the other
#   make mutate [MUTATE_ONLY=id]                the mutation harness (ci/mutate, ci/mutations.txt,
#                                               docs/testing.md): each plausible bug in a scratch
#                                               copy of HEAD (build/mutate, kept for the next run),
#                                               its tests; prints the score and the survivors.
#                                               Not part of test (about an hour).
#   make coverage [COVERAGE_TESTS=regex]        line and branch coverage of hyp/, vmm/, virtio/,
#                                               vcpu/ (ci/coverage, docs/testing.md): the system
#                                               tests under QEMU with -d in_asm (or those matching
#                                               the regex), the unit tests with gcov; prints a
#                                               table per folder. Not part of test.
ARCH ?= arm64
CHECK ?=
SYSTEM ?=
CALLS ?= 10000000
SMP ?= 4
SEED ?= 0
ROUND ?= 0
MTTCG ?=
FUZZ_SECONDS ?= 60
FUZZ_TARGET ?=
OUT ?=
MUTATE_ONLY ?=
COVERAGE_TESTS ?=
# A SYSTEM with a '/' or ending in .dts is a path (made absolute: CMake runs in build/host).
SYSTEM_ARG = $(if $(or $(findstring /,$(SYSTEM)),$(filter %.dts,$(SYSTEM))),$(abspath $(SYSTEM)),$(SYSTEM))

.PHONY: all setup configure build run image test bench soak fuzz mutate coverage clean
all: build

setup:
	@ci/setup

configure: setup
	@cmake --preset default >/dev/null

build: configure
	@cmake --build --preset default

run: configure
	@CHECK=$(CHECK) SYSTEM=$(SYSTEM_ARG) cmake --build --preset default --target run-$(ARCH)

image: configure
	@test -n "$(SYSTEM)" || { echo "make image: SYSTEM=path/to/system.dts, please" >&2; false; }
	@SYSTEM=$(SYSTEM_ARG) OUT=$(if $(OUT),$(abspath $(OUT))) cmake --build --preset default --target image-$(ARCH)

test: build
	@ctest --preset default

bench: configure
	@cmake --build --preset default >build/bench-build.log 2>&1 || { tail -n 40 build/bench-build.log; false; }
	@bench/run build

soak: setup
	@ci/soak --arch $(ARCH) --calls $(CALLS) --smp $(SMP) --seed $(SEED) --round $(ROUND) $(if $(MTTCG),--mttcg)
fuzz: configure
	@cmake --build --preset default --target keel-fuzz
	@ci/fuzz run --build build/fuzz --seconds $(FUZZ_SECONDS) $(if $(FUZZ_TARGET),--target $(FUZZ_TARGET))
mutate: setup
	@ci/mutate --keep $(if $(MUTATE_ONLY),--only $(MUTATE_ONLY))
coverage: build
	@ci/coverage $(if $(COVERAGE_TESTS),--tests '$(COVERAGE_TESTS)')

clean:
	rm -rf build

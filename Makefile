# SPDX-License-Identifier: MIT
# A thin front over the CMake presets (CMakePresets.json); CMake does the real work.
#   make run   [ARCH=arm64|riscv64] [CHECK=1]   build and boot the demo
#   make test                                   host unit tests and every system test (ctest)
#   make bench                                  benchmarks, one row per figure
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGET=n]  libFuzzer campaigns, one target after the other
ARCH ?= arm64
CHECK ?=
FUZZ_SECONDS ?= 60
FUZZ_TARGET ?=

.PHONY: all setup configure build run test bench fuzz clean
all: build

setup:
	@ci/setup

configure: setup
	@cmake --preset default >/dev/null

build: configure
	@cmake --build --preset default

run: configure
	@CHECK=$(CHECK) cmake --build --preset default --target run-$(ARCH)

test: build
	@ctest --preset default

bench: configure
	@cmake --build --preset default >build/bench-build.log 2>&1 || { tail -n 40 build/bench-build.log; false; }
	@bench/run build

fuzz: configure
	@cmake --build --preset default --target keel-fuzz
	@ci/fuzz run --build build/fuzz --seconds $(FUZZ_SECONDS) $(if $(FUZZ_TARGET),--target $(FUZZ_TARGET))

clean:
	rm -rf build

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Kernel figures under QEMU -icount shift=0 (one virtual nanosecond per instruction), each
# averaged over 10 000 operations by user/bench (the root task of build/<arch>/boot/bench.cpio):
# null system call, IPC call+reply round trip between two tasks (and half of it, one way), on one
# CPU and across two. (riscv64 with two harts needs Keel's workarounds for QEMU 7.2's -icount round
# robin, which let one hart spin away the others' turns: see docs/kernel.md.)
set -euo pipefail
root=$1
top=$(cd "$(dirname "$0")/.." && pwd)
run() { # arch board smp
    local log
    log=$(mktemp)
    if python3 "$top/ci/qemu_run.py" --board "$2" --kernel "$root/$1/hyp/keel.bin" \
        --initrd "$root/$1/boot/bench.cpio" --smp "$3" --icount --timeout 120 \
        --expect "BENCH DONE" --log "$log" >/dev/null; then
        grep -E '^BENCH [a-z]' "$log" | grep -v DONE | while read -r _ name value; do
            printf '%-40s %16s  %s\n' "$name-$1" "$value" "instructions"
        done
    else
        printf '%-40s %16s  %s\n' "kernel-bench-$1" "failed" "(log $log)"
    fi
}
run arm64 qemu-virt-arm64 2
run riscv64 qemu-virt-riscv64 2
run x86_64 q35-x86_64 2

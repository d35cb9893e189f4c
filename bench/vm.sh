#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# VM figures under QEMU -icount shift=0 (one virtual nanosecond per instruction): a raw-binary
# guest reads an emulated device register 10 000 times; each read is a VM exit to the user-level
# VMM, its emulation and the resume. The guest times the loop with its virtual counter.
set -euo pipefail
root=$1
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
if [ -f "$root/arm64/boot/vm-bench.cpio" ] && python3 "$top/ci/qemu_run.py" --board qemu-virt-arm64 \
    --kernel "$root/arm64/hyp/keel.bin" --initrd "$root/arm64/boot/vm-bench.cpio" --smp 1 --icount \
    --timeout 120 --expect "guest powered off, status" --expect "KEEL: power off" --log "$log" >/dev/null; then
    ticks=$(sed -n 's/.*guest powered off, status \([0-9]*\).*/\1/p' "$log")
    freq=62500000 # QEMU virt's counter: 16 ns per tick
    awk -v t="$ticks" -v f="$freq" 'BEGIN { printf "%-40s %16.1f  %s\n", "vm-exit-mmio-read-user-vmm-arm64", t * 1e9 / f / 10000, "instructions" }'
else
    printf '%-40s %16s  %s\n' "vm-exit-mmio-read-user-vmm-arm64" "failed" "(log $log)"
fi

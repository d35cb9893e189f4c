#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest Linux boot on the bare emulated board (no hypervisor): instructions from power-on to the
# init's first marker, as the guest itself reads them (KEEL-INIT START ... ns=N: the architecture's
# counter scaled to ns; under -icount shift=0 one ns is one instruction). Deterministic setting:
# -icount shift=0,sleep=off -seed 1, devices virtio blk + net + console (images/run-linux --mode
# bench). arm64 with 2 CPUs; riscv64 with 1 hart (2 harts stall in OpenSBI's cross-hart fences under
# -icount; docs/images.md).
# Then the same kernel and command line as a guest of Keel (dts/vms/bench-linux-<arch>.dts: arm64
# two vCPUs on two CPUs, riscv64 one on one; same -icount setting): the guest's counter at the
# marker minus its value when the VMM first resumed it (the VMM prints it), and the ratio to the
# bare board given the VM's 64 MiB of RAM (measured in this run too: Linux's early set-up grows
# with the memory size, so the 1 GiB bare figure is no baseline for a 64 MiB VM). The guest then reads the test disk (4 MiB)
# through virtio-blk with O_DIRECT: instructions per MiB. (The bare board's figure is not one:
# QEMU completes its requests in its main loop, and with sleep=off the guest's wait for them is
# counted as time, not instructions.)
set -euo pipefail
root=$1
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/host/logs/bench"
for spec in arm64:2 riscv64:1; do
    arch=${spec%:*} smp=${spec#*:}
    images="$root/host/images/$arch"
    if [ ! -e "$images/Image" ]; then
        printf '%-40s %16s  %s\n' "linux-boot-bare-$arch" "-" "(no $images/Image: build first)"
        continue
    fi
    out=$("$top/images/run-linux" --arch "$arch" --images "$images" --mode bench --smp "$smp" \
        --timeout 300 --log "$root/host/logs/bench/linux-boot-bare-$arch.log" 2>&1) || {
        printf '%s\n' "$out" >&2
        printf '%-40s %16s  %s\n' "linux-boot-bare-$arch" "-" "(failed)"
        continue
    }
    ns=$(printf '%s\n' "$out" | sed -n 's/^KEEL-INIT START .* ns=\([0-9]*\) .*/\1/p' | head -n 1)
    printf '%-40s %16s  %s\n' "linux-boot-bare-$arch" "${ns:--}" "instructions"
done

# Linux as a guest of Keel, and the bare board with the VM's memory size: arm64 with two vCPUs
# (62.5 MHz counter: 16 instructions a tick), riscv64 with one (10 MHz time: 100 a tick).
keel_boot() { # keel_boot ARCH SMP INSTRUCTIONS-PER-TICK
    local arch=$1 smp=$2 per_tick=$3 bare cpio log start marker keel
    bare=$("$top/images/run-linux" --arch "$arch" --images "$root/host/images/$arch" --mode bench \
        --smp "$smp" --memory 64M --timeout 300 --log "$root/host/logs/bench/linux-boot-bare-64m-$arch.log" 2>&1 |
        sed -n 's/^KEEL-INIT START .* ns=\([0-9]*\) .*/\1/p' | head -n 1 || true)
    printf '%-40s %16s  %s\n' "linux-boot-bare-64mib-$arch" "${bare:--}" "instructions"
    cpio="$root/host/images/$arch/vm-linux-bench.cpio"
    log="$root/host/logs/bench/linux-boot-keel-$arch.log"
    if [ -f "$cpio" ] && python3 "$top/ci/qemu_run.py" --board "qemu-virt-$arch" --kernel "$root/$arch/hyp/keel.bin" \
        --initrd "$cpio" --smp "$smp" --timeout 300 --log "$log" --expect "KEEL-INIT START" \
        --expect "KEEL: power off" --expect-exit -- -icount shift=0,sleep=off -seed 1 >/dev/null; then
        start=$(sed -n 's/.*first resume at counter \([0-9]*\).*/\1/p' "$log" | head -n 1)
        marker=$(sed -n 's/.*KEEL-INIT START counter=\([0-9]*\) .*/\1/p' "$log" | head -n 1)
        keel=$(( (marker - start) * per_tick ))
        printf '%-40s %16s  %s\n' "linux-boot-keel-$arch" "$keel" "instructions"
        if [ -n "$bare" ]; then
            awk -v k="$keel" -v b="$bare" -v n="linux-boot-ratio-keel-bare-$arch" \
                'BEGIN { printf "%-40s %16.3f  %s\n", n, k / b, "ratio" }'
        fi
        # virtio-blk: the init reads the whole test disk with O_DIRECT (KEEL-INIT BLKREAD bytes ns).
        sed -n 's/.*KEEL-INIT BLKREAD \([0-9]*\) bytes \([0-9]*\) ns$/\1 \2/p' "$log" | head -n 1 |
            awk -v n="virtio-blk-read-per-mib-keel-$arch" \
                '$1 > 0 { printf "%-40s %16.0f  %s\n", n, $2 * 1048576 / $1, "instructions" }'
    else
        printf '%-40s %16s  %s\n' "linux-boot-keel-$arch" "-" "(failed: $log)"
    fi
}
keel_boot arm64 2 16
keel_boot riscv64 1 100

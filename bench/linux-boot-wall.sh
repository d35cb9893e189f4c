#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest Linux boot in wall-clock time (issue 17 item 7), beside linux-boot.sh's instruction counts:
# QEMU started to the init's first marker (KEEL-INIT START on the console; the run ends there),
# without -icount, on the host's clock. Paired runs: the bare board (images/run-linux --mode wall,
# 64 MiB, the devices of the Keel VM) and, right after, the same kernel and command line as a guest
# of Keel (dts/vms/bench-linux-<arch>.dts: console on the UART, every character of the boot log an
# exit to the VMM), and the same with the guest's console on virtio-console (console=hvc0,
# dts/vms/bench-linux-hvc-<arch>.dts: the log goes out a buffer per notification). Each row is the
# median of RUNS (default 5) runs; the ratios are the medians of the pairs' ratios, so a change of
# the host's load between pairs cancels out. TCG on a shared host: seconds move with its speed and
# load; the ratios are what to compare.
set -euo pipefail
root=$1
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
mkdir -p "$root/host/logs/bench"
now() { date +%s%N; }
median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
row() { awk -v n="$1" -v v="$2" -v u="$3" 'BEGIN { printf "%-40s %16.3f  %s\n", n, v, u }'; }

for spec in arm64:2 riscv64:1; do
    arch=${spec%:*} smp=${spec#*:}
    images="$root/host/images/$arch"
    keel="$root/$arch/hyp/keel.bin"
    if [ ! -e "$images/Image" ] || [ ! -f "$images/vm-linux-bench-hvc.cpio" ]; then
        printf '%-40s %16s  %s\n' "linux-boot-wall-bare-$arch" "-" "(no images: build first)"
        continue
    fi
    bare=() uart=() hvc=() r_uart=() r_hvc=() failed=""
    for i in $(seq "$runs"); do
        log="$root/host/logs/bench/linux-boot-wall"
        t0=$(now)
        "$top/images/run-linux" --arch "$arch" --images "$images" --mode wall --smp "$smp" \
            --memory 64M --timeout 300 --log "$log-bare-$arch-$i.log" >/dev/null 2>&1 || failed="bare $i"
        t1=$(now)
        python3 "$top/ci/qemu_run.py" --board "qemu-virt-$arch" --kernel "$keel" \
            --initrd "$images/vm-linux-bench.cpio" --smp "$smp" --timeout 300 \
            --log "$log-keel-$arch-$i.log" --expect "KEEL-INIT START" >/dev/null 2>&1 || failed="keel $i"
        t2=$(now)
        python3 "$top/ci/qemu_run.py" --board "qemu-virt-$arch" --kernel "$keel" \
            --initrd "$images/vm-linux-bench-hvc.cpio" --smp "$smp" --timeout 300 \
            --log "$log-keel-hvc-$arch-$i.log" --expect "KEEL-INIT START" >/dev/null 2>&1 || failed="keel-hvc $i"
        t3=$(now)
        [ -z "$failed" ] || break
        b=$((t1 - t0)) u=$((t2 - t1)) h=$((t3 - t2))
        bare+=("$b") uart+=("$u") hvc+=("$h")
        r_uart+=("$(awk -v a="$u" -v b="$b" 'BEGIN { print a / b }')")
        r_hvc+=("$(awk -v a="$h" -v b="$b" 'BEGIN { print a / b }')")
    done
    if [ -n "$failed" ]; then
        printf '%-40s %16s  %s\n' "linux-boot-wall-bare-$arch" "failed" "(run $failed: logs $root/host/logs/bench)"
        continue
    fi
    row "linux-boot-wall-bare-$arch" "$(median "${bare[@]}" | awk '{ print $1 / 1e9 }')" "host-s"
    row "linux-boot-wall-keel-$arch" "$(median "${uart[@]}" | awk '{ print $1 / 1e9 }')" "host-s"
    row "linux-boot-wall-keel-hvc-$arch" "$(median "${hvc[@]}" | awk '{ print $1 / 1e9 }')" "host-s"
    row "linux-boot-wall-ratio-keel-bare-$arch" "$(median "${r_uart[@]}")" "ratio"
    row "linux-boot-wall-ratio-keel-hvc-bare-$arch" "$(median "${r_hvc[@]}")" "ratio"
done

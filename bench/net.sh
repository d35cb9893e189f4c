#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Network throughput of Linux guests (issue 18 item 7): a TCP stream of 8 MiB into a sink in a
# guest (images/init keel.sink: it reads to the end; the time runs from the first byte it reads
# to the end, on the guest's clock), under QEMU -icount shift=0,sleep=off (a guest nanosecond is
# an instruction; while every CPU waits, the clock jumps to the next timer), two VMs of one CPU
# each on the board's two CPUs:
#   net-switch-g2g  VM 2 sends to VM 1 through the switch (user/netsw): each frame goes guest ->
#                   VMM -> link -> netsw -> link -> VMM -> guest (dts/systems/vm-switch-bench-<arch>.dts)
#   net-cable-g2g   VM 2 sends to VM 1 over the direct cable (vmm/net_link.c: one link between the
#                   two VMMs, no switch) (dts/systems/vm-net-bench-<arch>.dts)
#   net-nic-h2g     then, in the switch's run, the host sends to VM 1 through the board's NIC:
#                   QEMU's user network (restrict=on) forwards 127.0.0.1:<free port> to the guest's
#                   port; netsw drives the board's virtio-net and forwards to VM 1's link. The host
#                   sends as fast as it can (ci/qemu_run.py --send-check). Two figures:
#                   MiB/guest-s, what VM 1 received per second of its clock, and MiB/host-s, the
#                   host's wall clock from its connect to the guest's close (all of it read). The
#                   host's side runs in real time while -icount ties the guest's clock to its
#                   instructions, so the first says how many guest instructions the path costs per
#                   byte (the same figure on a faster or slower host) and the second what the
#                   emulated machine delivers on this host (TCG: it moves with the host's speed and
#                   load; it is not a hardware figure).
# Each figure is the best of 3 runs (logs net-<what>-<arch>-<n>.log): a run in which QEMU's I/O
# thread (slirp) lagged behind loses time to the clock's jumps, never gains.
set -euo pipefail
root=$1
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/host/logs/bench"
runs=3
bytes=8388608
row() { printf '%-40s %16s  %s\n' "$1" "${2:--}" "$3"; }
# best FILE... : the best MiB/s of the SINK lines from ADDRESS ($addr) in the logs
best() {
    sed -n "s|.*KEEL-INIT SINK received \([0-9]*\) bytes in \([0-9]*\) ns from $addr\$|\1 \2|p" "$@" |
        awk '$1 > 0 && $2 > 0 { m = $1 / 1048576 / ($2 / 1e9); if (m > b) b = m }
             END { if (b > 0) printf "%.2f", b }'
}
for spec in arm64:2:30 riscv64:2:6; do
    IFS=: read -r arch smp bus <<<"$spec"
    sw_logs=() cable_logs=() host_lines=()
    for run in $(seq 1 $runs); do
        cpio="$root/host/images/$arch/vm-switch-bench.cpio"
        log="$root/host/logs/bench/net-switch-$arch-$run.log"
        if [ -f "$cpio" ] && out=$(python3 "$top/ci/qemu_run.py" --board "qemu-virt-$arch" \
            --kernel "$root/$arch/hyp/keel.bin" --initrd "$cpio" --smp "$smp" --timeout 300 --log "$log" \
            --user-net 10.0.2.15:5001 --send-check "vm1| KEEL-INIT SINK received" --send-bytes $bytes \
            --expect "vm1| KEEL-INIT SINK received $bytes bytes" \
            --expect "vm1| KEEL-INIT SINK received $bytes bytes" --expect "KEEL: power off" --expect-exit \
            --fail "CHECK net FAIL" --fail "SOURCE cannot" \
            -- -icount shift=0,sleep=off -seed 1 -global virtio-mmio.force-legacy=false \
            -device virtio-net-device,netdev=usernet,bus=virtio-mmio-bus.$bus); then
            sw_logs+=("$log")
            host_lines+=("$(grep -o 'send through .* bytes in [0-9]* ns' <<<"$out" || true)")
        fi
        cpio="$root/host/images/$arch/vm-net-bench.cpio"
        log="$root/host/logs/bench/net-cable-$arch-$run.log"
        [ -f "$cpio" ] && python3 "$top/ci/qemu_run.py" --board "qemu-virt-$arch" \
            --kernel "$root/$arch/hyp/keel.bin" --initrd "$cpio" --smp "$smp" --timeout 300 --log "$log" \
            --expect "vm1| KEEL-INIT SINK received $bytes bytes" --expect "KEEL: power off" --expect-exit \
            --fail "CHECK net FAIL" --fail "SOURCE cannot" \
            -- -icount shift=0,sleep=off -seed 1 >/dev/null && cable_logs+=("$log")
    done
    addr=10.0.2.16
    row "net-switch-g2g-$arch" "$([ ${#sw_logs[@]} -gt 0 ] && best "${sw_logs[@]}")" "MiB/guest-s"
    addr=10.0.0.2
    row "net-cable-g2g-$arch" "$([ ${#cable_logs[@]} -gt 0 ] && best "${cable_logs[@]}")" "MiB/guest-s"
    addr=10.0.2.2 # (slirp's address: the host's connections come from it)
    row "net-nic-h2g-$arch" "$([ ${#sw_logs[@]} -gt 0 ] && best "${sw_logs[@]}")" "MiB/guest-s"
    host=$(printf '%s\n' "${host_lines[@]}" | sed -n 's|.* \([0-9]*\) bytes in \([0-9]*\) ns$|\1 \2|p' |
        awk '$2 > 0 { m = $1 / 1048576 / ($2 / 1e9); if (m > b) b = m } END { if (b > 0) printf "%.2f", b }')
    row "net-nic-h2g-wall-$arch" "$host" "MiB/host-s"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Flood fairness of the network switch (docs/devices.md, "The network switch"): VM 1 and VM 2
# ping each other 100 times through the switch (user/netsw), timed by the guests' clocks (TCG,
# not -icount: the figures are indications; compare the two runs), while VM 3 floods the switch
# with 1000-byte frames to an address no VM has (dts/systems/vm-flood-arm64.dts), and without the
# flood (vm-flood-quiet-arm64.dts). Rows: net-flood-rtt-{avg,max}-vm{1,2}-{quiet,flood}-arm64 (us),
# net-flood-answered-vm{1,2}-{quiet,flood}-arm64 (of 100), net-flood-frames-{quiet,flood}-arm64
# (VM 3's). VM 3 holds longest (15 s): the run ends when it powers off (VMs 1 and 2, in either
# order, before it).
set -euo pipefail
root=$1
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/host/logs/bench"
row() { printf '%-40s %16s  %s\n' "$1" "$2" "$3"; }
for variant in quiet flood; do
    file=vm-flood
    [ "$variant" = quiet ] && file=vm-flood-quiet
    cpio="$root/host/images/arm64/$file.cpio"
    log="$root/host/logs/bench/net-flood-$variant-arm64.log"
    ok=0
    if [ -f "$cpio" ] && python3 "$top/ci/qemu_run.py" --board qemu-virt-arm64 \
        --kernel "$root/arm64/hyp/keel.bin" --initrd "$cpio" --smp 2 --timeout 300 --log "$log" \
        --require "vm1| KEEL-INIT RTT" --require "vm2| KEEL-INIT RTT" --require "vm3| KEEL-INIT FLOOD sent" \
        --require "vmm: vm1: guest powered off" --require "vmm: vm2: guest powered off" \
        --expect "vmm: vm3: guest powered off" --fail "CHECK net FAIL" >/dev/null; then
        ok=1
    fi
    for vm in vm1 vm2; do
        line=$(grep -a "$vm| KEEL-INIT RTT" "$log" 2>/dev/null | head -n 1 || true)
        if [ "$ok" = 0 ] || [ -z "$line" ]; then
            row "net-flood-rtt-avg-$vm-$variant-arm64" "-" "(failed: $log)"
            continue
        fi
        # "RTT <got> of <n> answered: min <a> us, avg <b> us, max <c> us"
        read -r got avg max <<<"$(sed -E 's/.*RTT ([0-9]+) of [0-9]+ answered: min [0-9]+ us, avg ([0-9]+) us, max ([0-9]+) us.*/\1 \2 \3/' <<<"$line")"
        row "net-flood-answered-$vm-$variant-arm64" "$got" "of 100"
        row "net-flood-rtt-avg-$vm-$variant-arm64" "$avg" us
        row "net-flood-rtt-max-$vm-$variant-arm64" "$max" us
    done
    frames=$(grep -a "vm3| KEEL-INIT FLOOD sent" "$log" 2>/dev/null | sed -E 's/.*sent ([0-9]+) frames.*/\1/' | head -n 1 || true)
    row "net-flood-frames-$variant-arm64" "${frames:--}" frames
done

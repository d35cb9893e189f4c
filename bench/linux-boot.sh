#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest Linux boot on the bare emulated board (no hypervisor): instructions from power-on to the
# init's first marker, as the guest itself reads them (KEEL-INIT START ... ns=N: the architecture's
# counter scaled to ns; under -icount shift=0 one ns is one instruction). Deterministic setting:
# -icount shift=0,sleep=off -seed 1, devices virtio blk + net + console (images/run-linux --mode
# bench). arm64 with 2 CPUs; riscv64 with 1 hart (2 harts stall in OpenSBI's cross-hart fences under
# -icount; docs/images.md).
set -euo pipefail
root=$1
top=$(cd "$(dirname "$0")/.." && pwd)
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

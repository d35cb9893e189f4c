#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest Linux boot on the bare emulated board (no hypervisor): instructions from power-on to the
# init's first marker, as the guest itself reads them (KEEL-INIT START ... ns=N: the architecture's
# counter scaled to ns; under -icount shift=0 one ns is one instruction). Deterministic setting:
# -icount shift=0,sleep=off -seed 1, devices virtio blk + console (images/run-linux --mode
# bench: those of the Keel VMs below). arm64 with 2 CPUs; riscv64 with 1 hart (2 harts stall in OpenSBI's cross-hart fences under
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

# The same disk read through virtio-pci (dts/vms/bench-linux-pci-<arch>.dts: the block device on
# the VMM's PCI host bridge; arm64 with MSI-X, riscv64 with INTx), and its ratio to virtio-mmio's
# figure above: the transport's cost per MiB (notifications, interrupts, their acknowledgement).
pci_blk() { # pci_blk ARCH SMP
    local arch=$1 smp=$2 cpio log mmio pci
    cpio="$root/host/images/$arch/vm-linux-bench-pci.cpio"
    log="$root/host/logs/bench/linux-blk-pci-keel-$arch.log"
    mmio=$(sed -n 's/.*KEEL-INIT BLKREAD \([0-9]*\) bytes \([0-9]*\) ns$/\1 \2/p' \
        "$root/host/logs/bench/linux-boot-keel-$arch.log" 2>/dev/null | head -n 1 |
        awk '$1 > 0 { printf "%.0f", $2 * 1048576 / $1 }')
    if [ -f "$cpio" ] && python3 "$top/ci/qemu_run.py" --board "qemu-virt-$arch" --kernel "$root/$arch/hyp/keel.bin" \
        --initrd "$cpio" --smp "$smp" --timeout 300 --log "$log" --expect "KEEL-INIT BLKREAD" \
        --expect "KEEL: power off" --expect-exit -- -icount shift=0,sleep=off -seed 1 >/dev/null; then
        pci=$(sed -n 's/.*KEEL-INIT BLKREAD \([0-9]*\) bytes \([0-9]*\) ns$/\1 \2/p' "$log" | head -n 1 |
            awk '$1 > 0 { printf "%.0f", $2 * 1048576 / $1 }')
        printf '%-40s %16s  %s\n' "virtio-pci-blk-read-per-mib-keel-$arch" "${pci:--}" "instructions"
        if [ -n "$pci" ] && [ -n "$mmio" ]; then
            awk -v p="$pci" -v m="$mmio" -v n="virtio-blk-read-ratio-pci-mmio-$arch" \
                'BEGIN { printf "%-40s %16.3f  %s\n", n, p / m, "ratio" }'
        fi
    else
        printf '%-40s %16s  %s\n' "virtio-pci-blk-read-per-mib-keel-$arch" "-" "(failed: $log)"
    fi
}
pci_blk arm64 2
pci_blk riscv64 1

# Through UEFI firmware vs directly, the same VM (dts/vms/uefi-kernel-arm64.dts: Debian's EDK2
# from flash loads the kernel, initramfs and command line from fw_cfg, no disk, no shell; its twin
# dts/vms/uefi-direct-arm64.dts: the VMM loads them): from the VMM's first resume to the init's
# marker, in the guest's counter ticks (16 instructions each under -icount shift=0), and the
# ratio: what the firmware costs a boot.
uefi_boot() {
    local arch=arm64 name log start marker fw="" direct=""
    for name in uefi-kernel uefi-direct; do
        log="$root/host/logs/bench/linux-boot-$name-$arch.log"
        if [ -f "$root/host/images/$arch/vm-$name.cpio" ] &&
            python3 "$top/ci/qemu_run.py" --board "qemu-virt-$arch" --kernel "$root/$arch/hyp/keel.bin"             --initrd "$root/host/images/$arch/vm-$name.cpio" --smp 2 --timeout 600 --silence 300             --log "$log" --expect "KEEL-INIT START" --expect "KEEL: power off" --expect-exit             -- -icount shift=0,sleep=off -seed 1 >/dev/null; then
            start=$(sed -n 's/.*first resume at counter \([0-9]*\).*/\1/p' "$log" | head -n 1)
            marker=$(sed -n 's/.*KEEL-INIT START counter=\([0-9]*\) .*/\1/p' "$log" | head -n 1)
            if [ "$name" = uefi-kernel ]; then fw=$(( (marker - start) * 16 )); else direct=$(( (marker - start) * 16 )); fi
        fi
    done
    printf '%-40s %16s  %s\n' "linux-boot-uefi-keel-$arch" "${fw:--}" "instructions"
    printf '%-40s %16s  %s\n' "linux-boot-direct-128mib-keel-$arch" "${direct:--}" "instructions"
    if [ -n "$fw" ] && [ -n "$direct" ]; then
        awk -v f="$fw" -v d="$direct" -v n="linux-boot-ratio-uefi-direct-$arch" \
            'BEGIN { printf "%-40s %16.3f  %s\n", n, f / d, "ratio" }'
    fi
}
uefi_boot

# x86_64 on both back ends, one vCPU (with two, a bare boot under -icount stalls bringing up the
# second CPU, as riscv64's does), 64 MiB, counted in TSC ticks (one per instruction: under
# -icount shift=0, and on Bochs with ips 10^9 and sync=none). The bare board is QEMU's microvm
# under -icount (the 16550, 8254, CMOS clock, LAPIC, I/O APIC, ACPI and virtio-mmio blk and
# console: the platform closest to a Keel VM, whose tree leaves out the PM timer microvm lacks;
# q35's PCI probing alone costs more than the rest of the boot, and Linux on Bochs' own PC takes
# minutes to its marker), counted from power-on with its
# firmware and the kernel's load through fw_cfg; as a guest of Keel
# (dts/vms/bench-linux-x86_64.dts: virtio-mmio blk and console) from the VMM's first resume, the
# kernel already loaded. So the boot ratio favours Keel by the firmware's share; the uptime rows
# compare the same stretch on both: the kernel's own clock from its timekeeping's start to the
# init's marker. The command line is the same but for the VM's virtio-mmio names (and the
# tsc_early_khz= its VMM adds), with `quiet`: Keel's console on Bochs is its 16550 sending at
# 115200 baud in emulated time, and a whole boot log there would be counted as boot time.
# The VT-x figures' bare board has an Intel CPU model (QEMU's Skylake-Client without what TCG
# does not do, the closest to Bochs' corei7_skylake_x): Linux takes other paths on it (memcpy by
# REP MOVSB with ERMS, Intel's errata and mitigations) that cost 2.7 M more than on qemu64 before
# its marker. It is still another emulator's count than Bochs': an indication, not an identity.
declare -A bare_boot bare_uptime
x86_bare() { # x86_bare NAME CPU
    local suffix=$1 cpu=$2 images="$root/host/images/x86_64"
    local log="$root/host/logs/bench/linux-boot-bare-64m-$1.log"
    if [ ! -e "$images/bzImage" ]; then
        printf '%-40s %16s  %s\n' "linux-boot-bare-64mib-$suffix" "-" "(no $images/bzImage: build first)"
        return
    fi
    "$top/images/run-linux" --arch x86_64 --board microvm-x86_64 --cpu "$cpu" --images "$images" \
        --mode bench --cmdline-extra quiet --smp 1 --memory 64M --timeout 300 --log "$log" \
        >/dev/null 2>&1 || true
    bare_boot[$suffix]=$(sed -n 's/.*KEEL-INIT START counter=\([0-9]*\) .*/\1/p' "$log" | head -n 1)
    bare_uptime[$suffix]=$(sed -n 's/.*KEEL-INIT START .* uptime_ns=\([0-9]*\).*/\1/p' "$log" | head -n 1)
    printf '%-40s %16s  %s\n' "linux-boot-bare-64mib-$suffix" "${bare_boot[$suffix]:--}" "instructions"
    printf '%-40s %16s  %s\n' "linux-uptime-at-init-bare-$suffix" "${bare_uptime[$suffix]:--}" "instructions"
}
x86_keel() { # x86_keel BOARD NAME BARE-NAME
    local board=$1 name=$2 log="$root/host/logs/bench/linux-boot-keel-$2.log" start marker uptime
    local bare=${bare_boot[$3]:-} bare_up=${bare_uptime[$3]:-} icount=()
    [ "$board" = q35-x86_64 ] && icount=(-- -icount shift=0,sleep=off -seed 1)
    if [ -f "$root/host/images/x86_64/vm-linux-bench.cpio" ] &&
        python3 "$top/ci/qemu_run.py" --board "$board" --kernel "$root/x86_64/hyp/keel.bin" \
        --initrd "$root/host/images/x86_64/vm-linux-bench.cpio" --smp 1 --timeout 600 --silence 300 \
        --log "$log" --expect "KEEL-INIT START" --expect "KEEL: power off" --expect-exit \
        "${icount[@]}" >/dev/null; then
        start=$(sed -n 's/.*first resume at counter \([0-9]*\).*/\1/p' "$log" | head -n 1)
        marker=$(sed -n 's/.*KEEL-INIT START counter=\([0-9]*\) .*/\1/p' "$log" | head -n 1)
        uptime=$(sed -n 's/.*KEEL-INIT START .* uptime_ns=\([0-9]*\).*/\1/p' "$log" | head -n 1)
        printf '%-40s %16s  %s\n' "linux-boot-keel-$name" "$((marker - start))" "instructions"
        printf '%-40s %16s  %s\n' "linux-uptime-at-init-keel-$name" "$uptime" "instructions"
        if [ -n "$bare" ] && [ -n "$bare_up" ]; then
            awk -v k="$((marker - start))" -v b="$bare" -v n="linux-boot-ratio-keel-bare-$name" \
                'BEGIN { printf "%-40s %16.3f  %s\n", n, k / b, "ratio" }'
            awk -v k="$uptime" -v b="$bare_up" -v n="linux-uptime-ratio-keel-bare-$name" \
                'BEGIN { printf "%-40s %16.3f  %s\n", n, k / b, "ratio" }'
        fi
    else
        printf '%-40s %16s  %s\n' "linux-boot-keel-$name" "-" "(failed: $log)"
    fi
}
x86_bare x86_64 qemu64
x86_bare x86_64-intel Skylake-Client-v1,-pcid,-x2apic,-tsc-deadline,-hle,-invpcid,-rtm,-rdseed,-3dnowprefetch,-xsavec
x86_keel q35-x86_64 x86_64 x86_64
x86_keel bochs-x86_64 x86_64-vmx x86_64-intel

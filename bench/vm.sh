#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# VM figures under QEMU -icount shift=0 (one virtual nanosecond per instruction; the guests time
# themselves with their counter: arm64's virtual counter, 16 ns a tick on QEMU virt; riscv64's
# time CSR, 100 ns a tick):
#   vm-exit-mmio-read-user-vmm   a raw guest reads an emulated device register 10 000 times: each
#                                read is a VM exit to the user-level VMM, its emulation, the resume
#                                (x86_64: a virtio-mmio register: a nested page fault, the
#                                instruction read back and decoded)
#   hypercall-kernel             10 000 KEEL_HVC_NULL hypercalls (riscv64: KEEL_SBI_EXT_NULL
#                                ecalls; x86_64: VMMCALLs with KEEL_X86_VMMCALL_NULL), answered
#                                by the kernel
#   virq-delivery-vtimer         virtual timer due -> the guest's handler runs (kernel injection)
#   virq-delivery-timer-sstc     riscv64: the deadline the guest gave SBI set_timer (answered by
#                                the kernel) passes -> its handler runs; Sstc: the hardware raises
#                                it from vstimecmp, no exit (a tick is 100 instructions: ~0)
#   virq-delivery-timer-sbi      the same on harts without Sstc: the kernel arms the hart's timer
#                                for the deadline, leaves the guest and re-enters it with VSTIP
#   vm-exit-io-read-user-vmm     x86_64: the same with port reads of the 16550 (IOIO exits)
#   virq-delivery-device         the guest's write to the PL011 (riscv64: the 16550's THR) raises
#                                its interrupt in the VMM's model -> the guest's handler runs (VMM
#                                fills a list register; riscv64: its PLIC model sets VSEIP)
#   virq-passthrough-vmm         arm64: the guest's write to the board's PL031 (passed through to
#                                it) raises the device's physical interrupt -> the guest's handler
#                                runs, through the VMM (the kernel tells the VMM's vCPU thread, its
#                                GIC model fills a list register)
#   virq-passthrough-direct      the same, delivered by the kernel (Irq DIRECT: a hardware list
#                                register entry; the guest's EOI deactivates the physical line)
set -euo pipefail
root=$1
top=$(cd "$(dirname "$0")/.." && pwd)
freq=62500000 # QEMU virt's counter
row() { awk -v n="$1" -v t="$2" -v f="${4:-$freq}" -v c="$3" 'BEGIN { printf "%-40s %16.1f  %s\n", n, t * 1e9 / f / c, "instructions" }'; }
failed() { printf '%-40s %16s  %s\n' "$1" "failed" "(log $2)"; }

run() { # run <initrd> <log>
    [ -f "$root/arm64/boot/$1.cpio" ] && python3 "$top/ci/qemu_run.py" --board qemu-virt-arm64 \
        --kernel "$root/arm64/hyp/keel.bin" --initrd "$root/arm64/boot/$1.cpio" --smp 1 --icount \
        --timeout 120 --expect "guest powered off, status" --expect "KEEL: power off" --log "$2" >/dev/null
}

log=$(mktemp)
if run vm-bench "$log"; then
    row vm-exit-mmio-read-user-vmm-arm64 "$(sed -n 's/.*guest powered off, status \([0-9]*\).*/\1/p' "$log")" 10000
else
    failed vm-exit-mmio-read-user-vmm-arm64 "$log"
fi

log=$(mktemp)
if run vm-irq-bench "$log"; then
    hex() { printf '%d' "$(sed -n "s/.*bench: $1 \(0x[0-9a-f]*\).*/\1/p" "$log")"; }
    row hypercall-kernel-arm64 "$(hex hvc-null)" 10000
    row virq-delivery-vtimer-arm64 "$(hex virq-vtimer)" 100
    row virq-delivery-device-vmm-arm64 "$(hex virq-device)" 100
else
    for n in hypercall-kernel-arm64 virq-delivery-vtimer-arm64 virq-delivery-device-vmm-arm64; do
        failed "$n" "$log"
    done
fi

log=$(mktemp)
if run vm-passthrough "$log"; then
    hex() { printf '%d' "$(sed -n "s/.*bench: $1 \(0x[0-9a-f]*\).*/\1/p" "$log")"; }
    row virq-passthrough-vmm-arm64 "$(hex virq-passthrough-vmm)" 100
    row virq-passthrough-direct-arm64 "$(hex virq-passthrough-direct)" 100
else
    for n in virq-passthrough-vmm-arm64 virq-passthrough-direct-arm64; do
        failed "$n" "$log"
    done
fi

# riscv64: one guest per run; the exit and hypercall guests' tick count is the SBI SRST status,
# the interrupt guest prints its sums and stops with status 0.
run_rv() { # run_rv <initrd> <log> [qemu_run options]
    local cpio=$root/riscv64/boot/$1.cpio log=$2
    shift 2
    [ -f "$cpio" ] && python3 "$top/ci/qemu_run.py" --board qemu-virt-riscv64 \
        --kernel "$root/riscv64/hyp/keel.bin" --initrd "$cpio" --smp 1 --icount "$@" \
        --timeout 120 --expect "guest powered off, status" --expect "KEEL: power off" --log "$log" >/dev/null
}
for b in vm-bench:vm-exit-mmio-read-user-vmm-riscv64 vm-hcall-bench:hypercall-kernel-riscv64; do
    log=$(mktemp)
    if run_rv "${b%%:*}" "$log"; then
        row "${b#*:}" "$(sed -n 's/.*guest powered off, status \([0-9]*\).*/\1/p' "$log")" 10000 10000000
    else
        failed "${b#*:}" "$log"
    fi
done

log=$(mktemp)
if run_rv vm-irq-bench "$log" && grep -Eq 'guest powered off, status 0([^0-9]|$)' "$log"; then
    hex() { printf '%d' "$(sed -n "s/.*bench: $1 \(0x[0-9a-f]*\).*/\1/p" "$log")"; }
    row virq-delivery-timer-sstc-riscv64 "$(hex virq-timer)" 100 10000000
    row virq-delivery-device-vmm-riscv64 "$(hex virq-device)" 100 10000000
else
    for n in virq-delivery-timer-sstc-riscv64 virq-delivery-device-vmm-riscv64; do
        failed "$n" "$log"
    done
fi
# The same guest on harts without Sstc: its SBI timer is the kernel's (set_timer answered there,
# the hart's timer armed for the deadline, VSTIP raised on the way back in).
log=$(mktemp)
if run_rv vm-irq-bench "$log" --cpu rv64,h=true,sstc=false && grep -Eq 'guest powered off, status 0([^0-9]|$)' "$log"; then
    row virq-delivery-timer-sbi-riscv64 "$(hex virq-timer)" 100 10000000
else
    failed virq-delivery-timer-sbi-riscv64 "$log"
fi

# x86_64, both back ends from the same guests: AMD SVM on q35 under -icount (the TSC counts one
# tick per instruction, 1 GHz) and Intel VT-x on Bochs (its clock counts instructions: ips 10^9,
# sync=none, so its TSC ticks once per instruction too, whatever the host's load). The guest
# prints its sums (port 0x3fd reads: IOIO exits to the VMM; virtio-mmio register reads: nested
# page faults the VMM decodes; hypercalls the kernel answers).
# The 16550's THR write -> its interrupt through the VMM's I/O APIC and LAPIC models -> the
# guest's handler (100 rounds; the write's own exit included, as on the other architectures).
for x86 in q35-x86_64:x86_64:--icount bochs-x86_64:x86_64-vmx:; do
    board=${x86%%:*} rest=${x86#*:}
    name=${rest%%:*} icount=${rest#*:}
    log=$(mktemp)
    if [ -f "$root/x86_64/boot/vm-bench.cpio" ] && python3 "$top/ci/qemu_run.py" --board "$board" \
            --kernel "$root/x86_64/hyp/keel.bin" --initrd "$root/x86_64/boot/vm-bench.cpio" --smp 1 $icount \
            --timeout 300 --expect "guest powered off, status 0" --expect "KEEL: power off" --log "$log" >/dev/null; then
        hex() { printf '%d' "$(sed -n "s/.*bench: $1 \(0x[0-9a-f]*\).*/\1/p" "$log")"; }
        row "vm-exit-io-read-user-vmm-$name" "$(hex io-read)" 10000 1000000000
        row "vm-exit-mmio-read-user-vmm-$name" "$(hex mmio-read)" 10000 1000000000
        row "hypercall-kernel-$name" "$(hex vmmcall-null)" 10000 1000000000
    else
        for n in vm-exit-io-read-user-vmm vm-exit-mmio-read-user-vmm hypercall-kernel; do
            failed "$n-$name" "$log"
        done
    fi
    log=$(mktemp)
    if [ -f "$root/x86_64/boot/vm-irq-bench.cpio" ] && python3 "$top/ci/qemu_run.py" --board "$board" \
            --kernel "$root/x86_64/hyp/keel.bin" --initrd "$root/x86_64/boot/vm-irq-bench.cpio" --smp 1 $icount \
            --timeout 300 --expect "guest powered off, status 100" --expect "KEEL: power off" --log "$log" >/dev/null; then
        row "virq-delivery-device-vmm-$name" "$(printf '%d' "$(sed -n 's/.*bench: virq-device \(0x[0-9a-f]*\).*/\1/p' "$log")")" 100 1000000000
    else
        failed "virq-delivery-device-vmm-$name" "$log"
    fi
done

# Kernel memory a VM's RAM costs: the VMM of a 1 GiB VM (the latency test's system) reports its
# quota's use once the RAM is mapped into its own space and the VM's (records and page tables):
# about 41 KiB per MiB when every 4 KiB page had its own record and entry, twice.
for arch in arm64:qemu-virt-arm64 riscv64:qemu-virt-riscv64 x86_64:q35-x86_64; do
    a=${arch%%:*}
    log=$(mktemp)
    if [ -f "$root/$a/boot/vm-latency.cpio" ] && python3 "$top/ci/qemu_run.py" --board "${arch#*:}" \
            --kernel "$root/$a/hyp/keel.bin" --initrd "$root/$a/boot/vm-latency.cpio" --smp 2 \
            --memory 3G --icount-skip-idle --timeout 240 --expect "vmm: big: 1024 MiB of guest RAM mapped" \
            --expect "KEEL: power off" --log "$log" >/dev/null; then
        printf '%-40s %16s  %s\n' "vm-kernel-memory-per-mib-ram-$a" \
            "$(sed -n 's/.*vmm: big: 1024 MiB of guest RAM mapped, .*(\([0-9]*\) bytes per MiB).*/\1/p' "$log")" "bytes/MiB"
    else
        failed "vm-kernel-memory-per-mib-ram-$a" "$log"
    fi
done

# A VM with 512 MiB of RAM made and destroyed (dts/systems/vm-lifecycle-<arch>.dts, one CPU under
# -icount: a microsecond is 1000 instructions): vm-create from the VMM's start until the RAM is
# mapped into the VM (its heap filled by the root task, zeroed there: most of it), vm-destroy the
# root task's release of the VMM's task, thread and factory once the guest has powered off.
for arch in arm64:qemu-virt-arm64 riscv64:qemu-virt-riscv64 x86_64:q35-x86_64; do
    a=${arch%%:*}
    log=$(mktemp)
    if [ -f "$root/$a/boot/vm-lifecycle.cpio" ] && python3 "$top/ci/qemu_run.py" --board "${arch#*:}" \
            --kernel "$root/$a/hyp/keel.bin" --initrd "$root/$a/boot/vm-lifecycle.cpio" --smp 1 --icount \
            --memory 2G --timeout 240 --expect "vmm: big: guest powered off" --expect "KEEL: power off" \
            --log "$log" >/dev/null; then
        us() { sed -n "s/$1/\1/p" "$log"; }
        printf '%-40s %16s  %s\n' "vm-create-512mib-$a" \
            "$(us '.*vmm: big: 512 MiB of guest RAM mapped, .*, \([0-9]*\) us after the VMM started.*')000" instructions
        printf '%-40s %16s  %s\n' "vm-destroy-512mib-$a" \
            "$(us '.*root: big: its task, thread and factory released in \([0-9]*\) us.*')000" instructions
    else
        failed "vm-create-512mib-$a" "$log"
        failed "vm-destroy-512mib-$a" "$log"
    fi
done

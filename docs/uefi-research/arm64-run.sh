#!/bin/bash
name=$1; to=$2; shift 2
timeout $to qemu-system-aarch64 -nodefaults -nographic -display none -m ${MEM:-512} -snapshot \
  -drive if=none,id=d0,format=raw,file=/tmp/ovmfx/fat.img \
  -serial file:/tmp/fw/serial-$name.log "$@" > /tmp/fw/qemu-$name.out 2>&1
echo "$name rc=$? marker=$(grep -c KEEL-STARTUP-MARKER /tmp/fw/serial-$name.log)"

#!/bin/bash
# usage: run.sh name timeout qemu-args...
name=$1; to=$2; shift 2
timeout $to qemu-system-x86_64 -nodefaults -nographic -display none -m ${MEM:-256} -snapshot \
  -drive if=none,id=d0,format=raw,file=/tmp/ovmfx/fat.img \
  -serial file:/tmp/ovmfx/serial-$name.log "$@" > /tmp/ovmfx/qemu-$name.out 2>&1
echo "$name rc=$? marker=$(grep -c KEEL-STARTUP-MARKER /tmp/ovmfx/serial-$name.log)"
